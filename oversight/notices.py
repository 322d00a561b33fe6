"""Use cases of the public notice (公示) of grants and disbursements, and of its objections (异议). Each
public use case owns its transaction (commits on success; a refusal raises DomainError, leaving nothing).

``publish_grant`` and ``publish_disbursement`` are called by the area's audit listener
(``oversight.services``), in the transaction that grants or pays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from claims.dates import programmes_of
from claims.models import Claim, ClaimItem
from claims.recovery_models import Recovery
from claims.states import ClaimStatus
from orgs.models import Organisation
from oversight.commands import AnswerInput, NoticeFilter, ObjectionFilter, ObjectionInput
from oversight.models import NoticeEntry, NoticeObjection
from oversight.rules import mask_uscc
from oversight.states import OBJECTION, NoticeKind, ObjectionStatus
from shop import clock, policy
from shop.accounts import User
from shop.audit import change_state, record
from shop.calendar import add_working_days, working_day_overrides
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.pagination import Page, paginate
from shop.states import Role
from wallet import versions
from wallet.models import Programme, QuotaApplication
from wallet.states import ApplicationStatus

# -- public notices --------------------------------------------------------------------------------


def notice_period_end(session: Session, published_on: dt.date) -> dt.date:
    """The last day in notice: the policy's working days (5: the Linyi, Liuzhou and Guangdong notices,
    公示5个工作日) after the publication day, which does not count (statutory calendar and the
    operator's holiday table; weekends only, for a year neither knows yet)."""
    return add_working_days(session, published_on, policy.current().notice_working_days)


def _existing_entry(session: Session, kind: NoticeKind, subject_id: int) -> NoticeEntry | None:
    return session.scalars(
        select(NoticeEntry).where(NoticeEntry.kind == kind, NoticeEntry.subject_id == subject_id)
    ).one_or_none()


def _publish(session: Session, entry: NoticeEntry, ends_on: dt.date | None = None) -> NoticeEntry:
    """Published today until ``ends_on`` (a grant in the notice its policy gives before it takes
    effect), or for the working days of the entry's programme's policy (Guizhou's by default)."""
    today = clock.today()
    if ends_on is None or ends_on <= today:
        days = policy.current().notice_working_days
        if entry.programme_id is not None:
            programme = session.get(Programme, entry.programme_id)
            days = versions.rules_of(session, programme, entry.policy_version).notice_working_days
        ends_on = add_working_days(session, today, days)
    entry.published_on, entry.notice_ends_on, entry.published_at = today, ends_on, clock.now()
    session.add(entry)
    session.flush()
    record(session, None, "notice", entry.id, "publish_notice", None, entry.audit_state())
    return entry


def publish_grant(session: Session, application_id: int) -> NoticeEntry | None:
    """Put a granted quota in public notice (once; helpers never commit): when it is granted, or, where
    the policy publishes grants before they take effect, when it goes into its notice."""
    application = session.get(QuotaApplication, application_id)
    published = (ApplicationStatus.GRANTED, ApplicationStatus.IN_NOTICE)
    if application is None or application.status not in published or application.granted_fen <= 0:
        return None
    if _existing_entry(session, NoticeKind.QUOTA_GRANT, application.id) is not None:
        return None
    org = session.get(Organisation, application.organisation_id)
    return _publish(
        session,
        NoticeEntry(
            kind=NoticeKind.QUOTA_GRANT,
            year=application.year,
            programme_id=application.programme_id,
            policy_version=application.policy_version,
            subject_type="quota_application",
            subject_id=application.id,
            organisation_id=org.id,
            organisation_name=org.name,
            uscc_masked=mask_uscc(org.uscc),
            amount_fen=application.granted_fen,
            event_on=clock.china_date(application.decided_at) or clock.today(),
        ),
        application.notice_ends_on if application.status == ApplicationStatus.IN_NOTICE else None,
    )


def withdraw_grant(session: Session, application_id: int, reason: str | None) -> NoticeEntry | None:
    """A grant in its notice cancelled (an upheld 复核): its entry stays, marked withdrawn with why."""
    entry = _existing_entry(session, NoticeKind.QUOTA_GRANT, application_id)
    if entry is None or entry.withdrawn_on is not None:
        return None
    before = entry.audit_state()
    entry.withdrawn_on, entry.withdrawal_reason = clock.today(), reason
    record(session, None, "notice", entry.id, "withdraw_notice", before, entry.audit_state())
    return entry


def publish_disbursement(session: Session, claim_id: int) -> NoticeEntry | None:
    """Put a disbursed claim in public notice: the provider paid, the amount and the date."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.status != ClaimStatus.DISBURSED or not claim.disbursed_fen:
        return None
    if _existing_entry(session, NoticeKind.DISBURSEMENT, claim.id) is not None:
        return None
    org = session.get(Organisation, claim.provider_id)
    orders = (
        session.scalar(
            select(func.count()).select_from(ClaimItem).where(ClaimItem.claim_id == claim.id, ClaimItem.live.is_(True))
        )
        or 0
    )
    paid_on = claim.disbursed_on or clock.today()
    # the programme year of the money: the settlement date the claim was collected at
    year = claim.settlement_date.year if claim.settlement_date else paid_on.year
    return _publish(
        session,
        NoticeEntry(
            kind=NoticeKind.DISBURSEMENT,
            year=year,
            programme_id=next(iter(programmes_of(session, claim)), None),
            policy_version=claim.policy_version,
            subject_type="claim",
            subject_id=claim.id,
            organisation_id=org.id,
            organisation_name=org.name,
            uscc_masked=mask_uscc(org.uscc),
            amount_fen=claim.disbursed_fen,
            order_count=orders,
            event_on=paid_on,
        ),
    )


def recoveries_of(session: Session, entries: list[NoticeEntry]) -> dict[int, list[Recovery]]:
    """追回 against the published payments among ``entries``, by entry id (one query): the notice shows
    what is being recovered of a payment it published, and when."""
    claims = {e.subject_id: e.id for e in entries if e.kind == NoticeKind.DISBURSEMENT}
    found: dict[int, list[Recovery]] = {}
    if claims:
        stmt = select(Recovery).where(Recovery.claim_id.in_(sorted(claims))).order_by(Recovery.id)
        for recovery in session.scalars(stmt):
            found.setdefault(claims[recovery.claim_id], []).append(recovery)
    return found


def lengthen_notices_for_calendar_change(session: Session, day: dt.date, *, removed: bool) -> int:
    """The operator changed the working-day calendar on ``day``: every entry whose period covers it
    gets the period the calendar now gives, never a shorter one (what was promised stays promised).
    Returns how many entries changed."""
    entries = list(
        session.scalars(select(NoticeEntry).where(NoticeEntry.published_on < day, NoticeEntry.notice_ends_on >= day))
    )
    if not entries:
        return 0
    # one read of the calendar for all of them, one computation per publication day
    first = min(e.published_on for e in entries)
    overrides = working_day_overrides(session, first, max(e.published_on for e in entries) + dt.timedelta(days=120))
    if removed:
        overrides.pop(day, None)
    ends: dict[dt.date, dt.date] = {}
    changed, days = 0, policy.current().notice_working_days
    for entry in entries:
        if entry.published_on not in ends:
            ends[entry.published_on] = clock.add_working_days(entry.published_on, days, overrides)
        end = ends[entry.published_on]
        if end > entry.notice_ends_on:
            before = entry.audit_state()
            entry.notice_ends_on = end
            record(session, None, "notice", entry.id, "lengthen_notice", before, entry.audit_state())
            changed += 1
    return changed


def list_notices(session: Session, where: NoticeFilter, *, page: int, per_page: int) -> Page[Any]:
    """In notice today (newest first), or the year's archive (entries whose period has ended), each
    with its number of objections."""
    today = clock.today()
    view, kind, year, q = where.view, where.kind, where.year, where.q
    objections = (
        select(func.count())
        .select_from(NoticeObjection)
        .where(NoticeObjection.entry_id == NoticeEntry.id)
        .scalar_subquery()
    )
    stmt = select(NoticeEntry, objections.label("objections"))
    if view == "current":
        stmt = stmt.where(NoticeEntry.published_on <= today, NoticeEntry.notice_ends_on >= today)
    else:
        stmt = stmt.where(NoticeEntry.year == year, NoticeEntry.notice_ends_on < today)
    if kind:
        stmt = stmt.where(NoticeEntry.kind == kind)
    if q:
        stmt = stmt.where(NoticeEntry.organisation_name.contains(q, autoescape=True))
    stmt = stmt.order_by(NoticeEntry.published_on.desc(), NoticeEntry.id.desc())
    return paginate(session, stmt, page, per_page, scalars=False)


def notice_counts(session: Session, year: int) -> dict[str, int]:
    today = clock.today()
    current = (
        session.scalar(
            select(func.count())
            .select_from(NoticeEntry)
            .where(NoticeEntry.published_on <= today, NoticeEntry.notice_ends_on >= today)
        )
        or 0
    )
    archive = (
        session.scalar(
            select(func.count())
            .select_from(NoticeEntry)
            .where(NoticeEntry.year == year, NoticeEntry.notice_ends_on < today)
        )
        or 0
    )
    return {"current": current, "archive": archive}


def get_notice(session: Session, entry_id: int) -> NoticeEntry:
    entry = session.scalars(
        select(NoticeEntry).where(NoticeEntry.id == entry_id).options(selectinload(NoticeEntry.objections))
    ).one_or_none()
    if entry is None:
        raise NotFound()
    return entry


@use_case
def lodge_objection(session: Session, actor: User, entry_id: int, command: ObjectionInput) -> NoticeObjection:
    """异议: a signed-in person objects to an entry while it is in notice, giving a reason."""
    entry = session.get(NoticeEntry, entry_id)
    if entry is None:
        raise NotFound()
    today = clock.today()
    if not entry.is_in_notice(today):
        raise DomainError(
            "invalid_state",
            _l(
                "The notice period of this entry ended on %(day)s: objections are no longer accepted.",
                day=entry.notice_ends_on.isoformat(),
            ),
        )
    objection = NoticeObjection(
        entry_id=entry.id,
        lodged_by_id=actor.id,
        lodged_at=clock.now(),
        reason=command.reason,
        status=ObjectionStatus.OPEN,
    )
    session.add(objection)
    session.flush()
    record(
        session,
        actor,
        "objection",
        objection.id,
        "lodge_objection",
        None,
        {**objection.audit_state(), "notice_id": entry.id, "reason": command.reason},
    )
    session.commit()
    return objection


@use_case
def answer_objection(session: Session, actor: User, objection_id: int, command: AnswerInput) -> NoticeObjection:
    """The operator answers an objection (also after the notice period: it was lodged in time)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    objection = session.scalars(
        select(NoticeObjection).where(NoticeObjection.id == objection_id).with_for_update()
    ).one_or_none()
    if objection is None:
        raise NotFound()
    change_state(
        session,
        objection,
        OBJECTION,
        "answer_objection",
        actor,
        subject_type="objection",
        answer=command.text,
        answered_at=clock.now(),
        answered_by_id=actor.id,
    )
    session.commit()
    return objection


def list_objections(
    session: Session, actor: User, where: ObjectionFilter, *, page: int, per_page: int
) -> Page[NoticeObjection]:
    """Staff: open objections first, oldest first."""
    if not actor.is_staff:
        raise Forbidden()
    stmt = select(NoticeObjection).options(joinedload(NoticeObjection.entry), joinedload(NoticeObjection.lodged_by))
    if where.status is not None:
        stmt = stmt.where(NoticeObjection.status == where.status)
    stmt = stmt.order_by(NoticeObjection.status != ObjectionStatus.OPEN, NoticeObjection.id)
    return paginate(session, stmt, page, per_page)


def open_objections_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(NoticeObjection).where(NoticeObjection.status == ObjectionStatus.OPEN)
        )
        or 0
    )
