"""拨付申请: the authority sends the approved claims of one programme's settlement date to the finance
bureau (财政局) of the programme's jurisdiction as a payment request; the bureau records the transfer
(its bank reference and day: every claim of the request is paid through ``claims.payments.pay_claim``)
or returns the request with a reason (its claims stay approved, detached, for the authority to reject
a held one or send them again). The use cases commit; the reads do not.

A claim's programme, for its request, is the first of the programmes whose vouchers its orders spent
(``claims.dates.programmes_of``: nearly always the only one); the request's total is what its claims
are paid, their vouchers less the deductions (``Claim.payable_fen``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from claims.commands import PaymentRequestInput, TransferInput
from claims.dates import programmes_of
from claims.models import Claim, PaymentRequest
from claims.payments import check_paid_on, ensure_finance, pay_claim
from claims.services import claim_holds, parties
from claims.states import CLAIM, PAYMENT_REQUEST, ClaimStatus, PaymentRequestStatus
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import ReasonInput
from shop.jurisdictions import under
from shop.pagination import Page, paginate
from shop.states import Role
from wallet.models import Programme

READERS = (Role.AUTHORITY, Role.FINANCE)


def programme_of_claim(session: Session, claim: Claim) -> int | None:
    """The programme whose payment request the claim goes in (the first of its programmes)."""
    ids = programmes_of(session, claim)
    return ids[0] if ids else None


def _programme(session: Session, actor: User, programme_id: int) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None or not actor.oversees(programme.jurisdiction):
        raise NotFound()
    return programme


def waiting_claims(session: Session, programme: Programme, day: dt.date, *, lock: bool = False) -> list[Claim]:
    """The approved claims of the programme's settlement date that are in no payment request and not
    held (a held claim waits for the authority's rejection, ``claims.services.claim_holds``)."""
    stmt = (
        select(Claim)
        .where(
            Claim.status == ClaimStatus.APPROVED,
            Claim.settlement_date == day,
            Claim.payment_request_id.is_(None),
        )
        .order_by(Claim.id)
    )
    if lock:
        stmt = stmt.with_for_update()
    claims = session.scalars(stmt.execution_options(populate_existing=True)).all()
    return [c for c in claims if programme_of_claim(session, c) == programme.id and not claim_holds(session, c)]


@use_case
def create_payment_request(session: Session, actor: User, command: PaymentRequestInput) -> PaymentRequest:
    """The authority sends the approved claims of a settlement date of its programme to the finance
    bureau: one request per programme and date at the bureau at a time."""
    if actor.role != Role.AUTHORITY:
        raise Forbidden()
    programme = _programme(session, actor, command.programme_id)
    day = command.settlement_date
    at_bureau = session.scalar(
        select(PaymentRequest.id).where(
            PaymentRequest.programme_id == programme.id,
            PaymentRequest.settlement_date == day,
            PaymentRequest.status == PaymentRequestStatus.SENT,
        )
    )
    if at_bureau is not None:
        raise DomainError(
            "invalid_state",
            _l("Payment request #%(id)d of this settlement date is already at the finance bureau.", id=at_bureau),
        )
    claims = waiting_claims(session, programme, day, lock=True)
    if not claims:
        raise DomainError(
            "invalid_state",
            _l("No approved claim of this programme waits for payment on %(day)s.", day=day.isoformat()),
            field="settlement_date",
        )
    now = clock.now()
    request = PaymentRequest(
        programme_id=programme.id,
        settlement_date=day,
        status=PaymentRequestStatus.SENT,
        total_fen=sum(c.payable_fen for c in claims),
        claim_count=len(claims),
        created_at=now,
        created_by_id=actor.id,
        sent_at=now,
        sent_by_id=actor.id,
    )
    session.add(request)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(
            "invalid_state", _l("A payment request of this settlement date was just sent; reload the page.")
        ) from None
    for claim in claims:
        claim.payment_request_id = request.id
        record(session, actor, "claim", claim.id, "request_payment", None, {"payment_request_id": request.id})
    record(
        session,
        actor,
        "payment_request",
        request.id,
        "send_payment_request",
        None,
        {**request.audit_state(), "claim_ids": [c.id for c in claims]},
    )
    session.commit()
    return request


def _request_for(session: Session, actor: User, request_id: int, *, lock: bool = False) -> PaymentRequest:
    """The request, if ``actor`` (an authority or a finance bureau) oversees its programme; to anyone
    else of those it does not exist."""
    if actor.role not in READERS:
        raise Forbidden()
    stmt = select(PaymentRequest).where(PaymentRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update()
    request = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if request is None:
        raise NotFound()
    _programme(session, actor, request.programme_id)
    return request


def claims_of(session: Session, request: PaymentRequest, *, lock: bool = False) -> list[Claim]:
    """The claims a request holds (a paid one's too; a returned request holds none)."""
    stmt = select(Claim).where(Claim.payment_request_id == request.id).order_by(Claim.id)
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


@use_case
def transfer_payment_request(session: Session, actor: User, request_id: int, command: TransferInput) -> PaymentRequest:
    """The finance bureau records the transfer of a request: every claim of it is paid with the
    bank reference and the day (not in the future, not before the request was sent)."""
    ensure_finance(actor)
    request = _request_for(session, actor, request_id, lock=True)
    PAYMENT_REQUEST.next(request.status, "transfer_payment_request")
    paid_on = command.paid_on or clock.today()
    sent_on = clock.china_date(request.sent_at)
    check_paid_on(
        paid_on,
        sent_on,
        _l(
            "The payment date cannot be before the request was sent (%(day)s).",
            day=sent_on.isoformat() if sent_on else "",
        ),
    )
    claims = claims_of(session, request, lock=True)
    for claim in claims:
        CLAIM.next(claim.status, "disburse_claim")
    ensure_not_sanctioned(session, *dict.fromkeys(p for c in claims for p in parties(c)))
    if sum(c.payable_fen for c in claims) != request.total_fen:
        raise DomainError("invalid_state", _l("The claims of this request changed: return it to the authority."))
    for claim in claims:
        pay_claim(session, claim, actor, paid_on, command.reference)
    change_state(
        session,
        request,
        PAYMENT_REQUEST,
        "transfer_payment_request",
        actor,
        subject_type="payment_request",
        paid_reference=command.reference,
        paid_on=paid_on,
        paid_at=clock.now(),
        paid_by_id=actor.id,
    )
    session.commit()
    return request


@use_case
def return_payment_request(session: Session, actor: User, request_id: int, command: ReasonInput) -> PaymentRequest:
    """The finance bureau returns a request with a reason the authority reads: its claims are approved
    and in no request again (the authority may reject a held one, or send them anew)."""
    ensure_finance(actor)
    request = _request_for(session, actor, request_id, lock=True)
    PAYMENT_REQUEST.next(request.status, "return_payment_request")
    for claim in claims_of(session, request, lock=True):
        claim.payment_request_id = None
        record(
            session,
            actor,
            "claim",
            claim.id,
            "payment_request_returned",
            {"payment_request_id": request.id},
            {"payment_request_id": None, "reason": command.reason},
        )
    change_state(
        session,
        request,
        PAYMENT_REQUEST,
        "return_payment_request",
        actor,
        subject_type="payment_request",
        returned_reason=command.reason,
        returned_at=clock.now(),
        returned_by_id=actor.id,
    )
    session.commit()
    return request


# -- reading --------------------------------------------------------------------------------------------------


def visible_requests(actor: User) -> Any:
    """The requests of the programmes under ``actor``'s jurisdiction (an authority's, a finance bureau's)."""
    if actor.role not in READERS:
        raise Forbidden()
    return (
        select(PaymentRequest)
        .join(Programme, Programme.id == PaymentRequest.programme_id)
        .where(under(Programme.jurisdiction, actor.jurisdiction))
    )


def list_payment_requests(
    session: Session, actor: User, status: PaymentRequestStatus | None, *, page: int, per_page: int
) -> Page[PaymentRequest]:
    """Newest first; of one status if given."""
    stmt = visible_requests(actor)
    if status is not None:
        stmt = stmt.where(PaymentRequest.status == status)
    return paginate(session, stmt.order_by(PaymentRequest.id.desc()), page, per_page)


def get_payment_request(session: Session, actor: User, request_id: int) -> PaymentRequest:
    return _request_for(session, actor, request_id)


def claims_of_request(session: Session, request: PaymentRequest) -> list[Claim]:
    """What a request holds, or held when it was returned (from its audit entry)."""
    if request.status != PaymentRequestStatus.RETURNED:
        return claims_of(session, request)
    from shop.audit import AuditEntry

    sent = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "payment_request",
            AuditEntry.subject_id == request.id,
            AuditEntry.action == "send_payment_request",
        )
    ).first()
    ids = (sent.after or {}).get("claim_ids", []) if sent is not None else []
    return list(session.scalars(select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id))) if ids else []


def sent_count(session: Session, actor: User) -> int:
    """What waits for a finance bureau: the requests sent to it."""
    from sqlalchemy import func

    stmt = visible_requests(actor).where(PaymentRequest.status == PaymentRequestStatus.SENT)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def sendable_dates(session: Session, actor: User) -> list[tuple[Programme, dt.date, int, int]]:
    """For the authority: per programme of its jurisdiction and settlement date, the approved claims in
    no request (how many, their payable total), what it may send."""
    if actor.role != Role.AUTHORITY:
        return []
    claims = session.scalars(
        select(Claim)
        .where(Claim.status == ClaimStatus.APPROVED, Claim.payment_request_id.is_(None))
        .order_by(Claim.settlement_date, Claim.id)
    ).all()
    groups: dict[tuple[int, dt.date], list[Claim]] = {}
    for claim in claims:
        programme_id = programme_of_claim(session, claim)
        if programme_id is not None and claim.settlement_date is not None and not claim_holds(session, claim):
            groups.setdefault((programme_id, claim.settlement_date), []).append(claim)
    rows = []
    for (programme_id, day), group in groups.items():
        programme = session.get(Programme, programme_id)
        if programme is not None and actor.oversees(programme.jurisdiction):
            rows.append((programme, day, len(group), sum(c.payable_fen for c in group)))
    return rows
