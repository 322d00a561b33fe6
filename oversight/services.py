"""Use cases of oversight: public notices (公示) and their objections, and complaints (五). Each public
use case owns its transaction (commits on success; a refusal raises DomainError, leaving nothing).

Notice entries are published by listening to the audit trail (``shop.hooks.on_audit``): the entry
that records a quota grant (``quota_application``/``grant``) or a disbursement
(``claim``/``disburse_claim``) publishes the grant or the payment in the same transaction, whichever
way it was made (the operator's queue, the API, the demo data). ``publish_missing_notices`` (daily,
and ``flask --app shop publish-notices``) publishes any that were made before this area existed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from claims.models import Claim, ClaimItem
from claims.states import ClaimStatus
from orders.models import Order
from oversight.models import Complaint, ComplaintReply, NoticeEntry, NoticeObjection
from oversight.rules import NOTICE_WORKING_DAYS, REASON_MAX, REASON_MIN, SUBJECT_MAX, TEXT_MAX, mask_uscc
from oversight.states import (
    COMPLAINT,
    OBJECTION,
    UNRESOLVED,
    ComplaintKind,
    ComplaintStatus,
    NoticeKind,
    ObjectionStatus,
)
from shop import clock
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import Inputs
from shop.models import Organisation, User
from shop.pagination import Page, paginate
from shop.services import add_working_days, working_day_overrides
from shop.states import Role
from wallet.models import QuotaApplication
from wallet.states import ApplicationStatus

# -- public notices --------------------------------------------------------------------------------

def notice_period_end(session: Session, published_on: dt.date) -> dt.date:
    """The last day in notice: 5 working days after the publication day (statutory calendar and the
    operator's holiday table; weekends only, for a year neither knows yet)."""
    return add_working_days(session, published_on, NOTICE_WORKING_DAYS)


def _existing_entry(session: Session, kind: NoticeKind, subject_id: int) -> NoticeEntry | None:
    return session.scalars(select(NoticeEntry).where(NoticeEntry.kind == kind,
                                                     NoticeEntry.subject_id == subject_id)).one_or_none()


def _publish(session: Session, entry: NoticeEntry) -> NoticeEntry:
    today = clock.today()
    entry.published_on, entry.notice_ends_on, entry.published_at = today, notice_period_end(session, today), clock.now()
    session.add(entry)
    session.flush()
    record(session, None, "notice", entry.id, "publish_notice", None, entry.audit_state())
    return entry


def publish_grant(session: Session, application_id: int) -> NoticeEntry | None:
    """Put a granted quota in public notice (once; helpers never commit)."""
    application = session.get(QuotaApplication, application_id)
    if application is None or application.status != ApplicationStatus.GRANTED or application.granted_fen <= 0:
        return None
    if _existing_entry(session, NoticeKind.QUOTA_GRANT, application.id) is not None:
        return None
    org = session.get(Organisation, application.organisation_id)
    return _publish(session, NoticeEntry(
        kind=NoticeKind.QUOTA_GRANT, year=application.year, subject_type="quota_application",
        subject_id=application.id, organisation_id=org.id, organisation_name=org.name,
        uscc_masked=mask_uscc(org.uscc), amount_fen=application.granted_fen,
        event_on=clock.china_date(application.decided_at) or clock.today()))


def publish_disbursement(session: Session, claim_id: int) -> NoticeEntry | None:
    """Put a disbursed claim in public notice: the provider paid, the amount and the date."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.status != ClaimStatus.DISBURSED or not claim.disbursed_fen:
        return None
    if _existing_entry(session, NoticeKind.DISBURSEMENT, claim.id) is not None:
        return None
    org = session.get(Organisation, claim.provider_id)
    orders = session.scalar(select(func.count()).select_from(ClaimItem).where(
        ClaimItem.claim_id == claim.id, ClaimItem.live.is_(True))) or 0
    paid_on = claim.disbursed_on or clock.today()
    # the programme year of the money: the settlement date the claim was collected at
    year = claim.settlement_date.year if claim.settlement_date else paid_on.year
    return _publish(session, NoticeEntry(
        kind=NoticeKind.DISBURSEMENT, year=year, subject_type="claim", subject_id=claim.id,
        organisation_id=org.id, organisation_name=org.name, uscc_masked=mask_uscc(org.uscc),
        amount_fen=claim.disbursed_fen, order_count=orders, event_on=paid_on))


def lengthen_notices_for_calendar_change(session: Session, day: dt.date, *, removed: bool) -> int:
    """The operator changed the working-day calendar on ``day``: every entry whose period covers it
    gets the period the calendar now gives, never a shorter one (what was promised stays promised).
    Returns how many entries changed."""
    entries = list(session.scalars(select(NoticeEntry).where(NoticeEntry.published_on < day,
                                                             NoticeEntry.notice_ends_on >= day)))
    if not entries:
        return 0
    # one read of the calendar for all of them, one computation per publication day
    first = min(e.published_on for e in entries)
    overrides = working_day_overrides(session, first, max(e.published_on for e in entries) + dt.timedelta(days=120))
    if removed:
        overrides.pop(day, None)
    ends: dict[dt.date, dt.date] = {}
    changed = 0
    for entry in entries:
        if entry.published_on not in ends:
            ends[entry.published_on] = clock.add_working_days(entry.published_on, NOTICE_WORKING_DAYS, overrides)
        end = ends[entry.published_on]
        if end > entry.notice_ends_on:
            before = entry.audit_state()
            entry.notice_ends_on = end
            record(session, None, "notice", entry.id, "lengthen_notice", before, entry.audit_state())
            changed += 1
    return changed


def on_audit_entry(session: Session, entry: Any) -> None:
    """The listener registered with ``shop.hooks.on_audit``."""
    key = (entry.subject_type, entry.action)
    if key == ("quota_application", "grant"):
        publish_grant(session, entry.subject_id)
    elif key == ("claim", "disburse_claim"):
        publish_disbursement(session, entry.subject_id)
    elif entry.subject_type == "holiday" and entry.action in ("set_holiday", "delete_holiday"):
        # the day as the entry states it (the subject id only identifies the calendar row)
        day = dt.date.fromisoformat((entry.after or entry.before)["day"])
        lengthen_notices_for_calendar_change(session, day, removed=entry.action == "delete_holiday")


@use_case
def publish_missing_notices(session: Session, _today: dt.date | None = None) -> int:
    """Publish the grants and disbursements that have no notice entry yet (made before oversight
    existed, or by a process that did not load it). Idempotent; commits."""
    grants = session.scalars(select(QuotaApplication.id).where(
        QuotaApplication.status == ApplicationStatus.GRANTED, QuotaApplication.granted_fen > 0,
        ~exists().where(NoticeEntry.kind == NoticeKind.QUOTA_GRANT, NoticeEntry.subject_id == QuotaApplication.id))
        .order_by(QuotaApplication.id)).all()
    paid = session.scalars(select(Claim.id).where(
        Claim.status == ClaimStatus.DISBURSED,
        ~exists().where(NoticeEntry.kind == NoticeKind.DISBURSEMENT, NoticeEntry.subject_id == Claim.id))
        .order_by(Claim.id)).all()
    published = sum(publish_grant(session, i) is not None for i in grants)
    published += sum(publish_disbursement(session, i) is not None for i in paid)
    session.commit()
    return published


def read_notice_filter(data: Mapping[str, Any]) -> dict[str, Any]:
    inputs = Inputs(data)
    view = inputs.choice("view", ["current", "archive"], required=False, default="current")
    kind = inputs.choice("kind", [k.value for k in NoticeKind], required=False)
    year = inputs.integer("year", required=False, minimum=2000, maximum=2100, default=clock.today().year)
    q = inputs.text("q", required=False, max_length=100)
    inputs.check()
    return {"view": view, "kind": kind, "year": year, "q": q}


def list_notices(session: Session, *, view: str, kind: str | None, year: int, q: str | None, page: int,
                 per_page: int) -> Page[Any]:
    """In notice today (newest first), or the year's archive (entries whose period has ended), each
    with its number of objections."""
    today = clock.today()
    objections = (select(func.count()).select_from(NoticeObjection)
                  .where(NoticeObjection.entry_id == NoticeEntry.id).scalar_subquery())
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
    current = session.scalar(select(func.count()).select_from(NoticeEntry).where(
        NoticeEntry.published_on <= today, NoticeEntry.notice_ends_on >= today)) or 0
    archive = session.scalar(select(func.count()).select_from(NoticeEntry).where(
        NoticeEntry.year == year, NoticeEntry.notice_ends_on < today)) or 0
    return {"current": current, "archive": archive}


def get_notice(session: Session, entry_id: int) -> NoticeEntry:
    entry = session.scalars(select(NoticeEntry).where(NoticeEntry.id == entry_id).options(
        selectinload(NoticeEntry.objections))).one_or_none()
    if entry is None:
        raise NotFound()
    return entry


@use_case
def lodge_objection(session: Session, actor: User, entry_id: int, data: Mapping[str, Any]) -> NoticeObjection:
    """异议: a signed-in person objects to an entry while it is in notice, giving a reason."""
    inputs = Inputs(data)
    reason = inputs.text("reason", max_length=REASON_MAX, min_length=REASON_MIN)
    inputs.check()
    entry = session.get(NoticeEntry, entry_id)
    if entry is None:
        raise NotFound()
    today = clock.today()
    if not entry.is_in_notice(today):
        raise DomainError("invalid_state", _l(
            "The notice period of this entry ended on %(day)s: objections are no longer accepted.",
            day=entry.notice_ends_on.isoformat()))
    objection = NoticeObjection(entry_id=entry.id, lodged_by_id=actor.id, lodged_at=clock.now(), reason=reason,
                                status=ObjectionStatus.OPEN)
    session.add(objection)
    session.flush()
    record(session, actor, "objection", objection.id, "lodge_objection", None,
           {**objection.audit_state(), "notice_id": entry.id, "reason": reason})
    session.commit()
    return objection


@use_case
def answer_objection(session: Session, actor: User, objection_id: int, data: Mapping[str, Any]) -> NoticeObjection:
    """The operator answers an objection (also after the notice period: it was lodged in time)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs(data)
    answer = inputs.text("answer", max_length=TEXT_MAX, min_length=REASON_MIN)
    inputs.check()
    objection = session.scalars(select(NoticeObjection).where(NoticeObjection.id == objection_id)
                                .with_for_update()).one_or_none()
    if objection is None:
        raise NotFound()
    change_state(session, objection, OBJECTION, "answer_objection", actor, subject_type="objection",
                 answer=answer, answered_at=clock.now(), answered_by_id=actor.id)
    session.commit()
    return objection


def list_objections(session: Session, actor: User, *, status: str | None, page: int, per_page: int) -> Page[NoticeObjection]:
    """Staff: open objections first, oldest first."""
    if not actor.is_staff:
        raise Forbidden()
    stmt = select(NoticeObjection).options(joinedload(NoticeObjection.entry), joinedload(NoticeObjection.lodged_by))
    if status in {s.value for s in ObjectionStatus}:
        stmt = stmt.where(NoticeObjection.status == status)
    stmt = stmt.order_by(NoticeObjection.status != ObjectionStatus.OPEN, NoticeObjection.id)
    return paginate(session, stmt, page, per_page)


def open_objections_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(NoticeObjection)
                          .where(NoticeObjection.status == ObjectionStatus.OPEN)) or 0


# -- complaints -------------------------------------------------------------------------------------

def _party(actor: User, complaint: Complaint) -> str | None:
    """Which side of the complaint ``actor`` is on, or None when it may not see it."""
    if actor.role == Role.ENTERPRISE and actor.belongs_to(complaint.enterprise_id):
        return "enterprise"
    if actor.role == Role.PROVIDER and actor.belongs_to(complaint.provider_id):
        return "provider"
    if actor.is_staff:
        return actor.role.value
    return None


def _complaint_for(session: Session, actor: User, complaint_id: int, *, lock: bool = False) -> tuple[Complaint, str]:
    """The complaint if ``actor`` is one of its two parties or staff; to anyone else it does not exist."""
    stmt = select(Complaint).where(Complaint.id == complaint_id)
    if lock:
        stmt = stmt.with_for_update()
    complaint = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    party = _party(actor, complaint) if complaint is not None else None
    if complaint is None or party is None:
        raise NotFound()
    return complaint, party


@use_case
def file_complaint(session: Session, actor: User, data: Mapping[str, Any]) -> Complaint:
    """五: the enterprise that placed an order complains about its provider. One complaint about an
    order is open at a time (the next one waits until it is resolved)."""
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise Forbidden()
    inputs = Inputs(data)
    order_id = inputs.integer("order_id", minimum=1, maximum=2**62)
    kind = inputs.choice("kind", [k.value for k in ComplaintKind])
    subject = inputs.text("subject", max_length=SUBJECT_MAX, min_length=2)
    description = inputs.text("description", max_length=TEXT_MAX, min_length=REASON_MIN)
    inputs.check()
    order = session.get(Order, order_id)
    if order is None or order.enterprise_id != actor.organisation_id:
        raise DomainError("not_found", _l("This is not one of your orders."), field="order_id")
    if session.scalar(select(exists().where(Complaint.order_id == order.id, Complaint.status.in_(UNRESOLVED)))):
        raise DomainError("invalid_state", _l(
            "A complaint about this order is still being handled: add your message to it instead."), field="order_id")
    complaint = Complaint(order_id=order.id, enterprise_id=order.enterprise_id, provider_id=order.provider_id,
                          kind=ComplaintKind(kind), subject=subject, description=description,
                          status=ComplaintStatus.OPEN, filed_by_id=actor.id, filed_at=clock.now())
    session.add(complaint)
    session.flush()
    record(session, actor, "complaint", complaint.id, "file_complaint", None,
           {**complaint.audit_state(), "order_id": order.id, "provider_id": order.provider_id, "kind": kind,
            "subject": subject})
    session.commit()
    return complaint


def _responded(complaint: Complaint, actor: User, at: dt.datetime) -> dict[str, Any]:
    """The first response, when this is it: anything done by someone other than the complainant."""
    if complaint.first_response_at is not None:
        return {}
    return {"first_response_at": at, "first_response_by_id": actor.id}


@use_case
def reply_to_complaint(session: Session, actor: User, complaint_id: int, data: Mapping[str, Any]) -> ComplaintReply:
    """A message on an unresolved complaint by the enterprise, the provider or the operator."""
    if actor.role not in (Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR):
        raise Forbidden()
    inputs = Inputs(data)
    body = inputs.text("body", max_length=TEXT_MAX, min_length=2)
    inputs.check()
    complaint, party = _complaint_for(session, actor, complaint_id, lock=True)
    if complaint.status == ComplaintStatus.RESOLVED:
        raise DomainError("invalid_state", _l("This complaint is resolved: it takes no more messages."))
    COMPLAINT.next(complaint.status, "reply_to_complaint")
    at = clock.now()
    reply = ComplaintReply(complaint_id=complaint.id, author_id=actor.id, party=party, body=body, created_at=at)
    session.add(reply)
    if party != "enterprise":
        for name, value in _responded(complaint, actor, at).items():
            setattr(complaint, name, value)
    session.flush()
    record(session, actor, "complaint", complaint.id, "reply_to_complaint", None,
           {"reply_id": reply.id, "party": party, "status": complaint.status.value})
    session.commit()
    return reply


@use_case
def take_up_complaint(session: Session, actor: User, complaint_id: int) -> Complaint:
    """The operator starts handling a complaint (open → in progress)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    complaint, _party_ = _complaint_for(session, actor, complaint_id, lock=True)
    at = clock.now()
    change_state(session, complaint, COMPLAINT, "take_up_complaint", actor, subject_type="complaint",
                 taken_up_at=at, taken_up_by_id=actor.id, **_responded(complaint, actor, at))
    session.commit()
    return complaint


@use_case
def resolve_complaint(session: Session, actor: User, complaint_id: int, data: Mapping[str, Any]) -> Complaint:
    """The operator closes a complaint it handles, saying how it was resolved (both parties read it)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs(data)
    resolution = inputs.text("resolution", max_length=TEXT_MAX, min_length=REASON_MIN)
    inputs.check()
    complaint, _party_ = _complaint_for(session, actor, complaint_id, lock=True)
    at = clock.now()
    change_state(session, complaint, COMPLAINT, "resolve_complaint", actor, subject_type="complaint",
                 resolution=resolution, resolved_at=at, resolved_by_id=actor.id)
    session.commit()
    return complaint


def get_complaint(session: Session, actor: User, complaint_id: int) -> Complaint:
    complaint, _party_ = _complaint_for(session, actor, complaint_id)
    session.refresh(complaint, ["replies"])
    return complaint


def _visible_complaints(stmt: Any, actor: User) -> Any:
    if actor.role == Role.ENTERPRISE:
        return stmt.where(Complaint.enterprise_id == actor.organisation_id)
    if actor.role == Role.PROVIDER:
        return stmt.where(Complaint.provider_id == actor.organisation_id)
    if actor.is_staff:
        return stmt
    raise Forbidden()


def read_complaint_filter(data: Mapping[str, Any]) -> str | None:
    inputs = Inputs(data)
    status = inputs.choice("status", [s.value for s in ComplaintStatus], required=False)
    inputs.check()
    return status


def list_complaints(session: Session, actor: User, *, status: str | None, page: int, per_page: int) -> Page[Complaint]:
    """The enterprise's own, the complaints about the provider, or every complaint for staff:
    unresolved first, oldest first."""
    stmt = _visible_complaints(select(Complaint), actor).options(
        joinedload(Complaint.enterprise), joinedload(Complaint.provider))
    if status:
        stmt = stmt.where(Complaint.status == status)
    stmt = stmt.order_by(Complaint.status == ComplaintStatus.RESOLVED, Complaint.filed_at, Complaint.id)
    return paginate(session, stmt, page, per_page)


def complaint_counts(session: Session, actor: User) -> dict[str, int]:
    rows = session.execute(_visible_complaints(select(Complaint.status, func.count()), actor)
                           .group_by(Complaint.status)).all()
    return {getattr(status, "value", status): n for status, n in rows}


def complaints_waiting(session: Session, actor: User) -> int:
    """What waits for the reader: for the operator every unresolved complaint; for a provider the
    unresolved complaints about it that it has not answered yet."""
    if actor.role == Role.OPERATOR:
        return session.scalar(select(func.count()).select_from(Complaint)
                              .where(Complaint.status.in_(UNRESOLVED))) or 0
    if actor.role == Role.PROVIDER and actor.organisation_id is not None:
        answered = exists().where(ComplaintReply.complaint_id == Complaint.id, ComplaintReply.party == "provider")
        return session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.provider_id == actor.organisation_id, Complaint.status.in_(UNRESOLVED), ~answered)) or 0
    return 0


def complainable_orders(session: Session, actor: User, limit: int = 100) -> list[Order]:
    """The enterprise's orders, newest first, to choose the one a complaint is about."""
    if actor.role != Role.ENTERPRISE:
        raise Forbidden()
    return list(session.scalars(select(Order).where(Order.enterprise_id == actor.organisation_id)
                                .options(joinedload(Order.provider)).order_by(Order.id.desc()).limit(limit)))


def complaint_timeline(session: Session, complaint: Complaint) -> list[Any]:
    from shop.audit import AuditEntry
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "complaint",
                                                         AuditEntry.subject_id == complaint.id)
                                .order_by(AuditEntry.id)))
