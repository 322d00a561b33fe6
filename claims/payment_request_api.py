"""The ``/api/v1`` endpoints of payment requests (拨付申请): the authority sends the approved claims of a
programme's settlement date, the finance bureau (财政局) of its jurisdiction records the transfer or
returns the request; both read and export them. They join the claims' blueprint (``claims.api``)."""

from __future__ import annotations

from typing import Any

from flask import request

from claims import payment_requests, recoveries
from claims.api import api_bp, export_response
from claims.commands import PaymentRequestInput, TransferInput
from claims.models import PaymentRequest
from claims.payment_request_exports import PAYMENT_REQUEST_EXPORT, PAYMENT_REQUESTS_EXPORT
from claims.shapes import claim_json
from claims.states import PaymentRequestStatus
from shop import exports
from shop.errors import NotFound
from shop.inputs import Inputs, ReasonInput
from shop.pagination import page_args
from shop.states import Role
from shop.web import api, db_session, json_body

AUTHORITY, FINANCE = Role.AUTHORITY, Role.FINANCE
READERS = [AUTHORITY, FINANCE]

PAYMENT_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "programme_id": {"type": "integer"},
        "programme_code": {"type": ["string", "null"]},
        "settlement_date": {"type": "string", "format": "date"},
        "status": {"enum": [s.value for s in PaymentRequestStatus]},
        "total_fen": {"type": "integer", "description": "what its claims are paid: their vouchers less deductions"},
        "set_off_fen": {
            "type": "integer",
            "description": "of the total, what settles its providers' open recoveries (追回) and is not transferred: "
            "to be set off while sent, set off once paid",
        },
        "transfer_fen": {"type": "integer", "description": "what the bureau transfers: the total less the set-off"},
        "claim_count": {"type": "integer"},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
        "paid_reference": {"type": ["string", "null"]},
        "paid_on": {"type": ["string", "null"], "format": "date"},
        "returned_reason": {"type": ["string", "null"]},
        "returned_at": {"type": ["string", "null"], "format": "date-time"},
        "claims": {"type": "array", "items": {"type": "object"}, "description": "with the request only"},
    },
}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _set_off(req: PaymentRequest) -> int:
    """Of the request's total, what settles its providers' recoveries instead of being transferred: what
    the transfer will set off while the request is at the bureau, what it set off once paid."""
    if req.status == PaymentRequestStatus.SENT:
        return recoveries.set_off_preview(db_session(), payment_requests.claims_of(db_session(), req))
    if req.status == PaymentRequestStatus.PAID:
        return sum(c.set_off_fen or 0 for c in payment_requests.claims_of(db_session(), req))
    return 0


def payment_request_json(req: PaymentRequest, *, full: bool = False) -> dict[str, Any]:
    from wallet.models import Programme

    programme = db_session().get(Programme, req.programme_id)
    set_off = _set_off(req)
    body: dict[str, Any] = {
        "id": req.id,
        "programme_id": req.programme_id,
        "programme_code": programme.code if programme is not None else None,
        "settlement_date": req.settlement_date.isoformat(),
        "status": req.status.value,
        "total_fen": req.total_fen,
        "set_off_fen": set_off,
        "transfer_fen": req.total_fen - set_off,
        "claim_count": req.claim_count,
        "sent_at": _when(req.sent_at),
        "paid_reference": req.paid_reference,
        "paid_on": _when(req.paid_on),
        "returned_reason": req.returned_reason,
        "returned_at": _when(req.returned_at),
    }
    if full:
        body["claims"] = [
            {**claim_json(c, full=False), "provider_name": c.provider.name, "provider_uscc": c.provider.uscc}
            for c in payment_requests.claims_of_request(db_session(), req)
        ]
    return body


def _request(user: Any, request_id: int) -> dict[str, Any]:
    db_session().expire_all()
    return payment_request_json(payment_requests.get_payment_request(db_session(), user, request_id), full=True)


@api_bp.get("/payment-requests")
@api(
    summary="Payment requests (拨付申请): a finance bureau's of its jurisdiction, an authority's of its programmes",
    roles=READERS,
    query={
        "status": {"enum": [s.value for s in PaymentRequestStatus]},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    errors=["validation_error"],
)
def list_payment_requests_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    inputs = Inputs(request.args)
    status = inputs.choice("status", [s.value for s in PaymentRequestStatus], required=False)
    inputs.check()
    result = payment_requests.list_payment_requests(
        db_session(), user, PaymentRequestStatus(status) if status else None, page=page, per_page=per_page
    )
    return result.as_json(payment_request_json)


@api_bp.post("/payment-requests")
@api(
    summary="The authority sends the approved claims of a programme's settlement date to the finance bureau",
    roles=[AUTHORITY],
    status=201,
    body={
        "type": "object",
        "required": ["programme_id", "settlement_date"],
        "properties": {"programme_id": {"type": "integer"}, "settlement_date": {"type": "string", "format": "date"}},
    },
    response=PAYMENT_REQUEST_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def create_payment_request_api(user: Any) -> Any:
    command = PaymentRequestInput.from_input(json_body())
    return _request(user, payment_requests.create_payment_request(db_session(), user, command).id)


@api_bp.get("/payment-requests/<int:request_id>")
@api(
    summary="A payment request with its claims (provider, vouchers, deductions, what is paid)",
    roles=READERS,
    response=PAYMENT_REQUEST_SCHEMA,
    errors=["not_found"],
)
def get_payment_request_api(user: Any, request_id: int) -> Any:
    return _request(user, request_id)


@api_bp.post("/payment-requests/<int:request_id>/transfer")
@api(
    summary="The finance bureau records the transfer: every claim of the request is paid",
    roles=[FINANCE],
    body={
        "type": "object",
        "required": ["reference"],
        "properties": {
            "reference": {"type": "string", "description": "the bank transfer's reference"},
            "paid_on": {
                "type": "string",
                "format": "date",
                "description": "today if absent; not before the request was sent, not after today",
            },
        },
    },
    response=PAYMENT_REQUEST_SCHEMA,
    errors=["validation_error", "invalid_state", "sanctioned", "not_found"],
)
def transfer_payment_request_api(user: Any, request_id: int) -> Any:
    payment_requests.transfer_payment_request(db_session(), user, request_id, TransferInput.from_input(json_body()))
    return _request(user, request_id)


@api_bp.post("/payment-requests/<int:request_id>/return")
@api(
    summary="The finance bureau returns the request with a reason: its claims wait, approved, to be sent again",
    roles=[FINANCE],
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=PAYMENT_REQUEST_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def return_payment_request_api(user: Any, request_id: int) -> Any:
    payment_requests.return_payment_request(db_session(), user, request_id, ReasonInput.from_input(json_body()))
    return _request(user, request_id)


@api_bp.get("/payment-requests/<int:request_id>/export")
@api(
    summary="A payment request as CSV (streamed) or XLSX: a row per claim, the total",
    roles=READERS,
    query={"format": {"enum": ["csv", "xlsx"]}},
    binary=[exports.FORMATS["csv"], exports.FORMATS["xlsx"]],
    errors=["validation_error", "not_found"],
)
def export_payment_request_api(user: Any, request_id: int) -> Any:
    payment_requests.get_payment_request(db_session(), user, request_id)
    exporter = exports.exporter_for(user, PAYMENT_REQUEST_EXPORT.kind)
    return export_response(exporter, exporter.read_params({"payment_request_id": request_id}))


@api_bp.get("/payment-requests/export")
@api(
    summary="The reader's payment requests as CSV (streamed) or XLSX",
    roles=READERS,
    query={"format": {"enum": ["csv", "xlsx"]}, "status": {"enum": [s.value for s in PaymentRequestStatus]}},
    binary=[exports.FORMATS["csv"], exports.FORMATS["xlsx"]],
    errors=["validation_error"],
)
def export_payment_requests_api(user: Any) -> Any:
    exporter = exports.exporter_for(user, PAYMENT_REQUESTS_EXPORT.kind)
    params = exporter.read_params({"jurisdiction": user.jurisdiction, "status": request.args.get("status")})
    if exporter.allowed is not None and not exporter.allowed(db_session(), user, params):
        raise NotFound()
    return export_response(exporter, params)
