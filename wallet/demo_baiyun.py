"""Demo data: the Baiyun district programme of 2026 beside Guizhou's (issue 13), made through the
use cases as its authority, operator and an enterprise of the district would: public cloud granted and
in effect (its notice and 复核 window dated in October, as if applied then), smart manufacturing in
its notice. Idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgs.demo import demo_org, demo_user
from shop import clock
from shop.inputs import Decision
from wallet import grants, policies, services
from wallet.commands import ProgrammeSpec
from wallet.models import Programme, QuotaApplication
from wallet.states import ApplicationStatus

CODE = "baiyun-2026"
APPLIED_IN = dt.date(2026, 10, 12)  # a Monday; the notice and the 复核 window end in October


def seed_baiyun(session: Session) -> None:
    today = clock.today()
    if today.year != 2026 or session.scalars(select(Programme.id).where(Programme.code == CODE)).first():
        return
    authority = demo_user(session, "baiyun-authority@yunquan.example")
    operator = demo_user(session, "baiyun-operator@yunquan.example")
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": CODE,
            "title": "2026年白云区服务券",
            "jurisdiction": "440111",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 20_000_000_00,  # ¥20,000,000
            "settlement_dates": ["2026-12-20"],
        }
    )
    policies.create_from_preset(session, authority, spec)
    maker = demo_org(session, "baiyun_maker").members[0]
    public = grants.apply(session, maker, CODE, "public_cloud", {"last_year_tax_fen": 600_000_000})  # ¥300,000
    services.review_application(session, operator, public.id, Decision(True))
    if today > dt.date(2026, 11, 2):
        # as if applied on 12 October: the notice ended on 19 October, the 复核 window on 26 October
        application = session.get(QuotaApplication, public.id)
        application.applied_at = application.decided_at = clock.china_midnight(APPLIED_IN)
        application.notice_ends_on = dt.date(2026, 10, 19)
        session.commit()
        grants.issue_after_notice(session, today)
    smart = grants.apply(session, maker, CODE, "smart_manufacturing", {"project": "diagnosis"})  # ¥200,000
    services.review_application(session, operator, smart.id, Decision(True))
    assert session.get(QuotaApplication, smart.id).status == ApplicationStatus.IN_NOTICE
