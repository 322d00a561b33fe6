"""Demo data for oversight (``seed-demo``, after the catalogue, wallets and orders; idempotent: each part
looks for what it made before and a second run adds nothing).

So that the dashboard, the scorecards and the public notice mean something, the demo grows to a few
hundred orders spread over the weeks of 2026 up to today, from twenty-two more enterprises across
Guizhou's nine prefectures (``demo_cast``), each granted its quota through the wallet's use cases
(here). The bulk orders are written directly (with their vouchers held through ``wallet.ledger`` and
every step in the audit trail), backdated to their week; redemption claims go through the claims' use
cases with their documents, and are then dated to the settlement date they belong to
(``demo_orders``, ``demo_claims``). Complaints and objections go through this area's use cases and are dated likewise
(``demo_complaints``). Random choices come from a fixed seed, so every run makes the same demo.
"""

from __future__ import annotations

import datetime as dt
import random
import sys

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from orgs.demo import demo_user, make_uscc
from orgs.models import CertificationSubmission, Organisation
from orgs.states import OrgKind, OrgStatus
from oversight.demo_cast import ENTERPRISES, FIRST_DAY, RECENT_GRANTS, YEAR, china_time, date_notice
from oversight.demo_claims import seed_claims
from oversight.demo_complaints import seed_complaints, seed_objections
from oversight.demo_orders import seed_orders
from oversight.models import NoticeEntry
from oversight.states import NoticeKind
from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.auth import hash_password
from shop.errors import DomainError
from shop.inputs import Decision
from shop.seed import DEMO_PASSWORD
from shop.states import Role
from wallet import services as wallet_services
from wallet.models import QuotaApplication
from wallet.programmes import find_programme
from wallet.states import ApplicationStatus


def seed_oversight(session: Session) -> None:
    programme = find_programme(session, YEAR)
    if programme is None:
        return
    today = clock.today()
    rng = random.Random(2026)
    enterprises = _seed_enterprises(session)
    session.commit()
    granted = _seed_grants(session, enterprises, today)
    seed_orders(session, rng, programme, granted, today)
    session.commit()
    if has_app_context():
        seed_claims(session, rng, programme, today, current_app.config["UPLOAD_DIR"])
    else:
        print("demo claims skipped: seed through `flask --app shop seed-demo`", file=sys.stderr)
    seed_complaints(session, rng, today)
    seed_objections(session, today)
    session.commit()


# -- enterprises and their quotas --------------------------------------------------------------------


def _seed_enterprises(session: Session) -> dict[str, Organisation]:
    operator = demo_user(session, "operator@yunquan.example")
    password_hash: str | None = None
    out = {}
    for spec in ENTERPRISES:
        code = make_uscc(spec.uscc17)
        org = session.scalars(select(Organisation).where(Organisation.uscc == code)).one_or_none()
        if org is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            email = f"{spec.key}@yunquan.example"
            org = Organisation(
                kind=OrgKind.ENTERPRISE,
                uscc=code,
                name=spec.name,
                region_code=spec.region_code,
                established_on=spec.established_on,
                legal_representative=spec.contact,
                contact_name=spec.contact,
                contact_phone="0851-8666" + spec.uscc17[-4:],
                email=email,
                status=OrgStatus.CERTIFIED,
                certified_at=clock.now(),
            )
            user = User(
                email=email, password_hash=password_hash, role=Role.ENTERPRISE, name=spec.contact, organisation=org
            )
            session.add_all([org, user])
            session.flush()
            record(session, user, "organisation", org.id, "register", None, {"status": "pending_certification"})
            session.add(
                CertificationSubmission(
                    organisation_id=org.id,
                    submitted_by_id=user.id,
                    submitted_at=clock.now(),
                    decision="approve",
                    decided_by_id=operator.id,
                    decided_at=clock.now(),
                )
            )
            record(
                session,
                operator,
                "organisation",
                org.id,
                "approve",
                {"status": "under_review"},
                {"status": "certified", "note": "demo data"},
            )
        out[spec.key] = org
    return out


def _grant_day(index: int, key: str, today: dt.date) -> dt.date:
    if key in RECENT_GRANTS:
        return max(FIRST_DAY, today - dt.timedelta(days=2 + RECENT_GRANTS.index(key)))
    return min(dt.date(YEAR, 1, 2) + dt.timedelta(days=3 * index), today - dt.timedelta(days=1))


def _seed_grants(session: Session, enterprises: dict[str, Organisation], today: dt.date) -> dict[int, dt.date]:
    """Each enterprise applies and the operator grants (the use cases, so the grant is published for
    notice); then the dates are moved to the day it happened in the demo's story. Returns the
    enterprises granted, with the day."""
    operator = demo_user(session, "operator@yunquan.example")
    granted: dict[int, dt.date] = {}
    for index, spec in enumerate(ENTERPRISES):
        org = enterprises[spec.key]
        application = session.scalars(
            select(QuotaApplication).where(QuotaApplication.organisation_id == org.id, QuotaApplication.year == YEAR)
        ).one_or_none()
        if application is None:
            try:
                application = wallet_services.apply_for_quota(session, org.members[0], YEAR)
                wallet_services.review_application(session, operator, application.id, Decision(True))
            except DomainError as error:  # a demo run after the year, or the budget used up
                print(f"demo quota for {spec.name} skipped: {error.detail}", file=sys.stderr)
                session.rollback()
                continue
            day = _grant_day(index, spec.key, today)
            at = china_time(day, 10 + index % 6)
            application.applied_at, application.decided_at = at - dt.timedelta(days=1, hours=2), at
            entry = session.scalars(
                select(NoticeEntry).where(
                    NoticeEntry.kind == NoticeKind.QUOTA_GRANT, NoticeEntry.subject_id == application.id
                )
            ).one_or_none()
            if entry is not None:
                date_notice(session, entry, day)
            session.commit()
        if application.status == ApplicationStatus.GRANTED and application.decided_at is not None:
            granted[org.id] = clock.china_date(application.decided_at)
    return granted
