"""What happens to an application after its first review: the return for completion and its lapse
(Baiyun 第十五条: incomplete files completed within 3 working days), the release of an unused part
of a grant by the operator, and the reclaim of a grant the policy deems abandoned (Baiyun 第十六条:
30 days unused). Each use case commits; daily jobs are safe to run any number of times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.calendar import add_working_days
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.money import format_fen
from shop.states import Role
from wallet import ledger
from wallet.grants import application_book
from wallet.models import LedgerEntry, PolicyVersion, QuotaApplication
from wallet.rules import scheme_cap
from wallet.states import QUOTA_APPLICATION, AccountKind, ApplicationStatus


@use_case
def release(session: Session, actor: User, application_id: int, amount_fen: int, reason: str) -> QuotaApplication:
    """The operator gives back an unused part of a grant to the programme's budget."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    application = _locked(session, application_id)
    if not actor.oversees(application.organisation.region_code):
        raise NotFound()
    if application.status != ApplicationStatus.GRANTED:
        raise DomainError("invalid_state", _l("Only a grant in effect can give back what it does not use."))
    _give_back(session, application, amount_fen, actor, "release", reason)
    session.commit()
    return application


def _give_back(
    session: Session, application: QuotaApplication, amount_fen: int, actor: User | None, action: str, reason: str
) -> None:
    book, _rules = application_book(session, application)
    available = ledger.balance(session, AccountKind.AVAILABLE, book, application.organisation_id)
    if not 0 < amount_fen <= available:
        raise ValidationError(
            {
                "amount_fen": [
                    _l("Between ¥0.01 and what the wallet holds unused (%(amount)s).", amount=format_fen(available))
                ]
            }
        )
    before = application.audit_state()
    ledger.release_grant(
        session, book, application.organisation_id, amount_fen, application.id, actor.id if actor else None
    )
    application.released_fen += amount_fen
    record(
        session, actor, "quota_application", application.id, action, before, application.audit_state() | {"why": reason}
    )


def _granted_on(session: Session, application: QuotaApplication) -> dt.date | None:
    """The day the grant took effect: its ledger movement into the wallet."""
    at = session.scalar(
        select(func.max(LedgerEntry.at)).where(
            LedgerEntry.kind == "grant_quota",
            LedgerEntry.ref_type == "quota_application",
            LedgerEntry.ref_id == application.id,
        )
    )
    return clock.china_date(at)


@use_case
def reclaim_unused(session: Session, today: dt.date | None = None) -> int:
    """Daily: a grant with nothing spent ``unused_reclaim_days`` after it took effect is deemed
    abandoned (Baiyun 第十六条) and what it holds goes back to the budget. Commits."""
    today = today or clock.today()
    total = 0
    # only the grants decided under a version that reclaims (one read of the versions, not of every grant)
    reclaiming = [
        (v.programme_id, v.number)
        for v in session.scalars(select(PolicyVersion))
        if v.rules.get("unused_reclaim_days") is not None
    ]
    if not reclaiming:
        return 0
    for application in session.scalars(
        select(QuotaApplication)
        .where(
            QuotaApplication.status == ApplicationStatus.GRANTED,
            QuotaApplication.granted_fen > QuotaApplication.released_fen,
            tuple_(QuotaApplication.programme_id, QuotaApplication.policy_version).in_(reclaiming),
        )
        .order_by(QuotaApplication.id)
    ):
        book, rules = application_book(session, application)
        days = rules.unused_reclaim_days
        if days is None or application.decided_at is None:
            continue
        effective = _granted_on(session, application)
        if effective is None or today < effective + dt.timedelta(days=days):
            continue
        org_id = application.organisation_id
        spent = sum(
            ledger.balance(session, k, book, org_id)
            for k in (AccountKind.IN_ORDERS, AccountKind.CLAIMED, AccountKind.DISBURSED)
        )
        available = ledger.balance(session, AccountKind.AVAILABLE, book, org_id)
        if spent or available < application.granted_fen - application.released_fen or available <= 0:
            continue  # used (or partly returned from an order): not abandoned
        _give_back(session, application, available, None, "reclaim", f"unused for {days} days")
        total += available
    session.commit()
    return total


# -- return for completion (Baiyun 第十五条: incomplete files completed within 3 working days) ----------


@use_case
def return_for_completion(session: Session, actor: User, application_id: int, reason: str) -> QuotaApplication:
    """The reviewer sends an incomplete application back, saying what is missing; it keeps its place
    (and its reservation) for the policy's working days."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    application = _locked(session, application_id)
    if not actor.oversees(application.organisation.region_code):
        raise NotFound()
    _book, rules = application_book(session, application)
    if rules.completion_working_days is None:
        raise DomainError("invalid_state", _l("This programme's policy does not return applications for completion."))
    QUOTA_APPLICATION.next(application.status, "return")
    change_state(
        session,
        application,
        QUOTA_APPLICATION,
        "return",
        actor,
        subject_type="quota_application",
        reason=reason,
        complete_by=add_working_days(session, clock.today(), rules.completion_working_days),
    )
    session.commit()
    return application


@use_case
def complete(session: Session, actor: User, application_id: int, facts: dict[str, Any]) -> QuotaApplication:
    """The enterprise completes its returned application (the facts it declares, checked again); the
    reservation stays what it was, or shrinks to the cap the new facts give."""
    application = _locked(session, application_id)
    if actor.role != Role.ENTERPRISE or not actor.belongs_to(application.organisation_id):
        raise NotFound()
    QUOTA_APPLICATION.next(application.status, "complete")
    if application.complete_by is not None and clock.today() > application.complete_by:
        raise DomainError(
            "invalid_state", _l("The time to complete it ended on %(day)s.", day=application.complete_by.isoformat())
        )
    book, rules = application_book(session, application)
    scheme = rules.scheme(application.scheme)
    merged = {**(application.facts or {}), **facts}
    cap, errors = scheme_cap(scheme, merged)
    if errors:
        raise ValidationError(errors)
    if cap < application.reserved_fen:
        ledger.release_reservation(
            session, book, application.organisation_id, application.reserved_fen - cap, application.id, actor.id
        )
    change_state(
        session,
        application,
        QUOTA_APPLICATION,
        "complete",
        actor,
        subject_type="quota_application",
        facts=merged,
        reserved_fen=min(cap, application.reserved_fen),
        complete_by=None,
    )
    session.commit()
    return application


@use_case
def lapse_uncompleted(session: Session, today: dt.date | None = None) -> int:
    """Daily: a returned application not completed in time lapses; its reservation goes back."""
    today = today or clock.today()
    lapsed = 0
    for application in session.scalars(
        select(QuotaApplication)
        .where(QuotaApplication.status == ApplicationStatus.RETURNED, QuotaApplication.complete_by < today)
        .order_by(QuotaApplication.id)
        .with_for_update()
    ):
        book, _rules = application_book(session, application)
        ledger.release_reservation(
            session, book, application.organisation_id, application.reserved_fen, application.id, None
        )
        change_state(session, application, QUOTA_APPLICATION, "lapse", None, subject_type="quota_application")
        lapsed += 1
    session.commit()
    return lapsed


def _locked(session: Session, application_id: int) -> QuotaApplication:
    application = session.scalars(
        select(QuotaApplication).where(QuotaApplication.id == application_id).with_for_update()
    ).one_or_none()
    if application is None:
        raise NotFound()
    return application
