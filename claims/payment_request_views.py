"""Pages of payment requests (拨付申请): the list (an authority's, with the settlement dates it may send;
a finance bureau's, what waits for its transfer), a request with its claims, and the forms that send,
transfer and return one. They join the claims' blueprint (``claims.views``). Thin: parse, call a use
case of ``claims.payment_requests``, render."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from claims import payment_requests
from claims.commands import PaymentRequestInput, TransferInput
from claims.states import PAYMENT_REQUEST, PaymentRequestStatus
from claims.views import bp
from shop import clock
from shop.audit import AuditEntry, history
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import ReasonInput
from shop.money import format_fen
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, roles_required

AUTHORITY, FINANCE = Role.AUTHORITY, Role.FINANCE


@bp.get("/payment-requests")
@roles_required(AUTHORITY, FINANCE)
def payment_requests_page(errors: dict | None = None, status_code: int = 200) -> Any:
    page, per_page = page_args(request.args)
    raw = request.args.get("status", "sent" if actor().role == FINANCE else "")
    status = PaymentRequestStatus(raw) if raw in {s.value for s in PaymentRequestStatus} else None
    result = payment_requests.list_payment_requests(db_session(), actor(), status, page=page, per_page=per_page)
    return render_template(
        "claims/payment_requests.html",
        page=result,
        status=status,
        statuses=list(PaymentRequestStatus),
        sendable=payment_requests.sendable_dates(db_session(), actor()),
        errors=errors or {},
    ), status_code


@bp.post("/payment-requests")
@roles_required(AUTHORITY)
def send_payment_request() -> Any:
    try:
        sent = payment_requests.create_payment_request(
            db_session(), actor(), PaymentRequestInput.from_input(request.form)
        )
    except DomainError as error:
        return payment_requests_page(errors=error.errors or {"_": [error.detail]}, status_code=error.status)
    flash(
        _(
            "Payment request #%(id)d is sent to the finance bureau: %(n)d claim(s), %(total)s.",
            id=sent.id,
            n=sent.claim_count,
            total=format_fen(sent.total_fen),
        ),
        "success",
    )
    return redirect(url_for("claims.payment_request_detail", request_id=sent.id))


def _timeline(request_id: int) -> list[AuditEntry]:
    return history(db_session(), "payment_request", request_id)


@bp.get("/payment-requests/<int:request_id>")
@roles_required(AUTHORITY, FINANCE)
def payment_request_detail(request_id: int, errors: dict | None = None, status_code: int = 200) -> Any:
    req = payment_requests.get_payment_request(db_session(), actor(), request_id)
    from wallet.models import Programme

    may = PAYMENT_REQUEST.allowed(req.status) if actor().role == FINANCE else set()
    return render_template(
        "claims/payment_request.html",
        req=req,
        programme=db_session().get(Programme, req.programme_id),
        claims=payment_requests.claims_of_request(db_session(), req),
        may=may,
        errors=errors or {},
        form=request.form,
        today=clock.today(),
        sent_on=clock.china_date(req.sent_at),
        timeline=_timeline(request_id),
    ), status_code


def _act(request_id: int, action: Any, done: str) -> Any:
    try:
        action()
    except DomainError as error:
        return payment_request_detail(
            request_id, errors=error.errors or {"_": [error.detail]}, status_code=error.status
        )
    flash(done, "success")
    return redirect(url_for("claims.payment_request_detail", request_id=request_id))


@bp.post("/payment-requests/<int:request_id>/transfer")
@roles_required(FINANCE)
def transfer_payment_request(request_id: int) -> Any:
    return _act(
        request_id,
        lambda: payment_requests.transfer_payment_request(
            db_session(), actor(), request_id, TransferInput.from_input(request.form)
        ),
        _("The transfer is recorded: every claim of the request is paid."),
    )


@bp.post("/payment-requests/<int:request_id>/return")
@roles_required(FINANCE)
def return_payment_request(request_id: int) -> Any:
    return _act(
        request_id,
        lambda: payment_requests.return_payment_request(
            db_session(), actor(), request_id, ReasonInput.from_input(request.form)
        ),
        _("The request is returned to the authority with your reason."),
    )
