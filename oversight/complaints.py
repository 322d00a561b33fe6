"""Use cases of complaints (五): an enterprise complains about the provider of one of its orders, the two
parties and the operator exchange messages, the operator takes it up and resolves it. Each public use
case owns its transaction (commits on success; a refusal raises DomainError, leaving nothing). To
anyone but its two parties and staff a complaint does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from orders.models import Order
from oversight.commands import ComplaintFilter, ComplaintInput, ReplyInput, ResolutionInput
from oversight.models import Complaint, ComplaintReply
from oversight.states import COMPLAINT, UNRESOLVED, ComplaintStatus
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.pagination import Page, paginate
from shop.states import Role


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
def file_complaint(session: Session, actor: User, command: ComplaintInput) -> Complaint:
    """五: the enterprise that placed an order complains about its provider. One complaint about an
    order is open at a time (the next one waits until it is resolved)."""
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise Forbidden()
    order = session.get(Order, command.order_id)
    if order is None or order.enterprise_id != actor.organisation_id:
        raise DomainError("not_found", _l("This is not one of your orders."), field="order_id")
    if session.scalar(select(exists().where(Complaint.order_id == order.id, Complaint.status.in_(UNRESOLVED)))):
        raise DomainError(
            "invalid_state",
            _l("A complaint about this order is still being handled: add your message to it instead."),
            field="order_id",
        )
    complaint = Complaint(
        order_id=order.id,
        enterprise_id=order.enterprise_id,
        provider_id=order.provider_id,
        kind=command.kind,
        subject=command.subject,
        description=command.description,
        status=ComplaintStatus.OPEN,
        filed_by_id=actor.id,
        filed_at=clock.now(),
    )
    session.add(complaint)
    session.flush()
    record(
        session,
        actor,
        "complaint",
        complaint.id,
        "file_complaint",
        None,
        {
            **complaint.audit_state(),
            "order_id": order.id,
            "provider_id": order.provider_id,
            "kind": command.kind.value,
            "subject": command.subject,
        },
    )
    session.commit()
    return complaint


def _responded(complaint: Complaint, actor: User, at: dt.datetime) -> dict[str, Any]:
    """The first response, when this is it: anything done by someone other than the complainant."""
    if complaint.first_response_at is not None:
        return {}
    return {"first_response_at": at, "first_response_by_id": actor.id}


@use_case
def reply_to_complaint(session: Session, actor: User, complaint_id: int, command: ReplyInput) -> ComplaintReply:
    """A message on an unresolved complaint by the enterprise, the provider or the operator."""
    if actor.role not in (Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR):
        raise Forbidden()
    complaint, party = _complaint_for(session, actor, complaint_id, lock=True)
    if complaint.status == ComplaintStatus.RESOLVED:
        raise DomainError("invalid_state", _l("This complaint is resolved: it takes no more messages."))
    COMPLAINT.next(complaint.status, "reply_to_complaint")
    at = clock.now()
    reply = ComplaintReply(complaint_id=complaint.id, author_id=actor.id, party=party, body=command.body, created_at=at)
    session.add(reply)
    if party != "enterprise":
        for name, value in _responded(complaint, actor, at).items():
            setattr(complaint, name, value)
    session.flush()
    record(
        session,
        actor,
        "complaint",
        complaint.id,
        "reply_to_complaint",
        None,
        {"reply_id": reply.id, "party": party, "status": complaint.status.value},
    )
    session.commit()
    return reply


@use_case
def take_up_complaint(session: Session, actor: User, complaint_id: int) -> Complaint:
    """The operator starts handling a complaint (open → in progress)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    complaint, _party_ = _complaint_for(session, actor, complaint_id, lock=True)
    at = clock.now()
    change_state(
        session,
        complaint,
        COMPLAINT,
        "take_up_complaint",
        actor,
        subject_type="complaint",
        taken_up_at=at,
        taken_up_by_id=actor.id,
        **_responded(complaint, actor, at),
    )
    session.commit()
    return complaint


@use_case
def resolve_complaint(session: Session, actor: User, complaint_id: int, command: ResolutionInput) -> Complaint:
    """The operator closes a complaint it handles, saying how it was resolved (both parties read it)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    complaint, _party_ = _complaint_for(session, actor, complaint_id, lock=True)
    at = clock.now()
    change_state(
        session,
        complaint,
        COMPLAINT,
        "resolve_complaint",
        actor,
        subject_type="complaint",
        resolution=command.text,
        resolved_at=at,
        resolved_by_id=actor.id,
    )
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


def list_complaints(
    session: Session, actor: User, where: ComplaintFilter, *, page: int, per_page: int
) -> Page[Complaint]:
    """The enterprise's own, the complaints about the provider, or every complaint for staff:
    unresolved first, oldest first."""
    stmt = _visible_complaints(select(Complaint), actor).options(
        joinedload(Complaint.enterprise), joinedload(Complaint.provider)
    )
    if where.status is not None:
        stmt = stmt.where(Complaint.status == where.status)
    stmt = stmt.order_by(Complaint.status == ComplaintStatus.RESOLVED, Complaint.filed_at, Complaint.id)
    return paginate(session, stmt, page, per_page)


def complaint_counts(session: Session, actor: User) -> dict[str, int]:
    rows = session.execute(
        _visible_complaints(select(Complaint.status, func.count()), actor).group_by(Complaint.status)
    ).all()
    return {getattr(status, "value", status): n for status, n in rows}


def complaints_waiting(session: Session, actor: User) -> int:
    """What waits for the reader: for the operator every unresolved complaint; for a provider the
    unresolved complaints about it that it has not answered yet."""
    if actor.role == Role.OPERATOR:
        return session.scalar(select(func.count()).select_from(Complaint).where(Complaint.status.in_(UNRESOLVED))) or 0
    if actor.role == Role.PROVIDER and actor.organisation_id is not None:
        answered = exists().where(ComplaintReply.complaint_id == Complaint.id, ComplaintReply.party == "provider")
        return (
            session.scalar(
                select(func.count())
                .select_from(Complaint)
                .where(Complaint.provider_id == actor.organisation_id, Complaint.status.in_(UNRESOLVED), ~answered)
            )
            or 0
        )
    return 0


def complainable_orders(session: Session, actor: User, limit: int = 100) -> list[Order]:
    """The enterprise's orders, newest first, to choose the one a complaint is about."""
    if actor.role != Role.ENTERPRISE:
        raise Forbidden()
    return list(
        session.scalars(
            select(Order)
            .where(Order.enterprise_id == actor.organisation_id)
            .options(joinedload(Order.provider))
            .order_by(Order.id.desc())
            .limit(limit)
        )
    )
