"""Demo data: the 2026 programme with Guizhou's figures and granted wallets (idempotent)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgs.demo import demo_org, demo_user
from orgs.models import Organisation
from shop.audit import record
from shop.inputs import Decision
from shop.policy import GUIZHOU, year_end, year_start
from wallet import ledger, services, versions
from wallet.models import Programme, QuotaApplication, SettlementDate
from wallet.programmes import find_programme
from wallet.states import ApplicationStatus

YEAR = 2026
BUDGET_FEN = 50_000_000_00  # ¥50,000,000
CAP_FEN = GUIZHOU.default_enterprise_cap_fen  # ¥50,000 per enterprise (第十六条)
SETTLEMENT_DATES = [dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30), dt.date(2026, 12, 20)]
GRANTED = ["guizhou_tea", "anshun_parts", "bijie_agri"]
PENDING = ["liupanshui_mining"]


def seed_programme(session: Session) -> None:
    authority = demo_user(session, "authority@yunquan.example")
    operator = demo_user(session, "operator@yunquan.example")
    programme = find_programme(session, YEAR)
    if programme is None:
        programme = Programme(
            year=YEAR,
            budget_fen=BUDGET_FEN,
            enterprise_cap_fen=CAP_FEN,
            **{f"ratio_{layer}": ratio for layer, ratio in GUIZHOU.default_ratios.items()},
            applications_open_on=year_start(YEAR),
            applications_close_on=year_end(YEAR),
            created_by_id=authority.id,
        )
        programme.settlement_dates = [SettlementDate(day=d) for d in SETTLEMENT_DATES]
        session.add(programme)
        session.flush()
        versions.add_guizhou_version(session, programme, authority)
        ledger.fund_programme(session, YEAR, BUDGET_FEN, authority.id)
        record(session, authority, "programme", programme.id, "create_programme", None, programme.audit_state())
    for key in GRANTED + PENDING:
        org: Organisation = demo_org(session, key)
        if session.scalars(
            select(QuotaApplication.id).where(QuotaApplication.organisation_id == org.id, QuotaApplication.year == YEAR)
        ).first():
            continue
        member = org.members[0]
        application = QuotaApplication(
            programme_id=programme.id,
            year=YEAR,
            organisation_id=org.id,
            applied_by_id=member.id,
            reserved_fen=CAP_FEN,
            granted_fen=0,
            status=ApplicationStatus.PENDING,
        )
        session.add(application)
        session.flush()
        ledger.reserve_quota(session, YEAR, org.id, CAP_FEN, application.id, member.id)
        record(session, member, "quota_application", application.id, "apply", None, application.audit_state())
        if key in GRANTED:  # the operator's decision, as the use case makes it
            session.commit()
            services.review_application(session, operator, application.id, Decision(True))
