"""Payment requests (拨付申请) as XLSX and CSV through ``shop.exports``: one request — a row per claim with
its provider, vouchers, deductions and the amount to pay, and the total — and the list of a reader's
requests. Registered by the claims' ``init_app``; a reader exports only what its jurisdiction covers
(``Exporter.allowed``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from claims.models import PaymentRequest
from claims.payment_requests import claims_of_request
from claims.states import PaymentRequestStatus
from shop import clock, exports, labels
from shop.errors import ValidationError
from shop.i18n import _, _l
from shop.inputs import Inputs
from shop.jurisdictions import covers, under
from shop.states import Role
from wallet.models import Programme

ROLES = frozenset({Role.AUTHORITY, Role.FINANCE})


# -- one request -----------------------------------------------------------------------------------------------


def _read_request_params(data: Mapping[str, Any]) -> dict[str, Any]:
    inputs = Inputs(data)
    request_id = inputs.id("payment_request_id")
    inputs.check()
    return {"payment_request_id": request_id}


def _request_allowed(session: Session, actor: Any, params: Mapping[str, Any]) -> bool:
    request = session.get(PaymentRequest, params["payment_request_id"])
    programme = session.get(Programme, request.programme_id) if request is not None else None
    return programme is not None and actor.oversees(programme.jurisdiction)


def _request_count(session: Session, params: Mapping[str, Any]) -> int:
    request = session.get(PaymentRequest, params["payment_request_id"])
    return (len(claims_of_request(session, request)) if request is not None else 0) + 1


def _request_header(_params: Mapping[str, Any]) -> list[Any]:
    return [
        _("Payment request"),
        _("Programme"),
        _("Settlement date"),
        _("Claim"),
        _("Provider"),
        _("Provider USCC"),
        _("Orders"),
        _("Vouchers claimed (yuan)"),
        _("Deducted (yuan)"),
        _("To be paid (yuan)"),
        _("Claim status"),
    ]


def _request_rows(session: Session, params: Mapping[str, Any]) -> Iterator[list[Any]]:
    request = session.get(PaymentRequest, params["payment_request_id"])
    if request is None:
        return
    programme = session.get(Programme, request.programme_id)
    code = programme.code if programme is not None else ""
    vouchers = deducted = payable = 0
    claims = claims_of_request(session, request)
    for claim in claims:
        yield [
            f"#{request.id}",
            code,
            request.settlement_date,
            f"#{claim.id}",
            claim.provider.name,
            claim.provider.uscc,
            len(claim.live_items),
            exports.Money(claim.total_fen),
            exports.Money(claim.deducted_fen),
            exports.Money(claim.payable_fen),
            str(labels.label(claim.status.value)),
        ]
        vouchers, deducted, payable = (
            vouchers + claim.total_fen,
            deducted + claim.deducted_fen,
            payable + claim.payable_fen,
        )
    yield [
        exports.Emphasis(_("Total of payment request #%(id)d: %(n)d claim(s)", id=request.id, n=len(claims))),
        "",
        "",
        "",
        "",
        "",
        "",
        exports.Money(vouchers),
        exports.Money(deducted),
        exports.Money(payable),
        str(labels.label(request.status.value)),
    ]


PAYMENT_REQUEST_EXPORT = exports.Exporter(
    kind="payment_request",
    roles=ROLES,
    title=lambda params: str(_("Payment request #%(id)d", id=params["payment_request_id"])),
    read_params=_read_request_params,
    count=_request_count,
    header=_request_header,
    rows=_request_rows,
    allowed=_request_allowed,
)


# -- the list ------------------------------------------------------------------------------------------------------


def _read_list_params(data: Mapping[str, Any]) -> dict[str, Any]:
    """The jurisdiction whose requests are listed (the reader's own; empty: every one) and a status."""
    inputs = Inputs(data)
    jurisdiction = inputs.text("jurisdiction", required=False, max_length=12)
    status = inputs.choice("status", [s.value for s in PaymentRequestStatus], required=False)
    inputs.check()
    if jurisdiction and not jurisdiction.isdecimal():
        raise ValidationError({"jurisdiction": [_l("A jurisdiction is a division code.")]})
    return {"jurisdiction": jurisdiction or None, "status": status or None}


def _list_allowed(_session: Session, actor: Any, params: Mapping[str, Any]) -> bool:
    return covers(actor.jurisdiction, params.get("jurisdiction")) if actor.jurisdiction else True


def _list_stmt(params: Mapping[str, Any]) -> Any:
    stmt = (
        select(PaymentRequest, Programme.code)
        .join(Programme, Programme.id == PaymentRequest.programme_id)
        .where(under(Programme.jurisdiction, params.get("jurisdiction")))
    )
    if params.get("status"):
        stmt = stmt.where(PaymentRequest.status == PaymentRequestStatus(params["status"]))
    return stmt


def _list_count(session: Session, params: Mapping[str, Any]) -> int:
    return (session.scalar(select(func.count()).select_from(_list_stmt(params).subquery())) or 0) + 1


def _list_header(_params: Mapping[str, Any]) -> list[Any]:
    return [
        _("Payment request"),
        _("Programme"),
        _("Settlement date"),
        _("Status"),
        _("Claims"),
        _("To be paid (yuan)"),
        _("Sent on"),
        _("Paid on"),
        _("Bank reference"),
        _("Returned because"),
    ]


def _list_rows(session: Session, params: Mapping[str, Any]) -> Iterator[list[Any]]:
    total, n = 0, 0
    stmt = _list_stmt(params).order_by(PaymentRequest.id).execution_options(yield_per=500)
    for request, code in session.execute(stmt):
        yield [
            f"#{request.id}",
            code,
            request.settlement_date,
            str(labels.label(request.status.value)),
            request.claim_count,
            exports.Money(request.total_fen),
            clock.china_date(request.sent_at) or "",
            request.paid_on or "",
            request.paid_reference or "",
            request.returned_reason or "",
        ]
        total, n = total + request.total_fen, n + 1
    yield [
        exports.Emphasis(_("Total: %(n)d payment request(s)", n=n)),
        "",
        "",
        "",
        "",
        exports.Money(total),
        "",
        "",
        "",
        "",
    ]


PAYMENT_REQUESTS_EXPORT = exports.Exporter(
    kind="payment_requests",
    roles=ROLES,
    title=lambda params: str(_("Payment requests")),
    read_params=_read_list_params,
    count=_list_count,
    header=_list_header,
    rows=_list_rows,
    allowed=_list_allowed,
)
