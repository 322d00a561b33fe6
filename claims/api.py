"""The ``/api/v1`` endpoints of redemption claims (第二十二条–第二十五条); their JSON shapes are in
``claims.shapes``. Thin: parse, call a use case of ``claims.services`` or ``claims.reviews`` (or read
through ``claims.queries``), answer JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    request,
    send_file,
    stream_with_context,
)

from claims import claimable, deductions, documents, reviews
from claims import queries as claim_queries
from claims import services as claims
from claims.commands import (
    MAX_ORDERS_PER_CLAIM,
    AnswerInput,
    ClaimableFilter,
    ClaimFilter,
    ClaimInput,
    DisbursementInput,
    DocumentInput,
    QueryInput,
)
from claims.exports import SETTLEMENT_EXPORT
from claims.payments import PAYMENT_REFUSED
from claims.shapes import CLAIM_SCHEMA, DOCUMENT_SCHEMA, QUERY_SCHEMA, claim_json, document_json, query_json
from claims.states import ClaimDocumentKind
from claims.views import AUTHORITY, FINANCE, OPERATOR, PROVIDER, READERS, STAFF
from orders.api import order_json
from shop import exports
from shop.errors import DomainError
from shop.inputs import Decision, Inputs, ReasonInput
from shop.pagination import page_args
from shop.uploads import UPLOAD_TYPES
from shop.web import api, db_session, json_body, send_upload

api_bp = Blueprint("claims_api", __name__, url_prefix="/api/v1")


DECISION = {
    "type": "object",
    "required": ["decision"],
    "properties": {
        "decision": {"enum": ["approve", "reject"]},
        "reason": {"type": "string", "description": "required to reject"},
    },
}


def _claim(user: Any, claim_id: int) -> dict[str, Any]:
    db_session().expire_all()
    return claim_json(claim_queries.get_claim(db_session(), user, claim_id))


@api_bp.get("/claimable-orders")
@api(
    summary="The provider's confirmed orders with vouchers that are in no live claim",
    roles=[PROVIDER],
    query={
        "confirmed_from": {"type": "string", "format": "date"},
        "confirmed_to": {"type": "string", "format": "date"},
        "enterprise": {"type": "string", "description": "part of the name, or the USCC"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    errors=["validation_error", "not_certified", "sanctioned"],
)
def claimable_orders_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    result, total_fen = claimable.list_claimable_orders(
        db_session(), user, ClaimableFilter.from_args(request.args), page, per_page
    )
    return {**result.as_json(order_json), "voucher_fen": total_fen}


@api_bp.post("/claims")
@api(
    summary="Create a draft claim of confirmed, unclaimed orders",
    roles=[PROVIDER],
    status=201,
    body={
        "type": "object",
        "required": ["order_ids"],
        "properties": {"order_ids": {"type": "array", "items": {"type": "integer"}, "maxItems": MAX_ORDERS_PER_CLAIM}},
    },
    response=CLAIM_SCHEMA,
    errors=["validation_error", "invalid_state", "not_certified", "sanctioned"],
)
def create_claim_api(user: Any) -> Any:
    return _claim(user, claims.create_claim(db_session(), user, ClaimInput.from_input(json_body())).id)


@api_bp.get("/claims")
@api(
    summary="Claims: the provider's own, or every claim for staff; by settlement date",
    roles=READERS,
    query={
        "status": {"type": "string", "description": "one or more statuses, comma-separated"},
        "settlement_date": {"type": "string", "format": "date"},
        "provider_id": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    errors=["validation_error"],
)
def list_claims_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    result = claim_queries.list_claims(db_session(), user, ClaimFilter.from_args(request.args), page, per_page)
    return result.as_json(
        lambda row: {**claim_json(row[0], full=False, held=row.held), "order_count": row[1], "open_queries": row[2]}
    )


@api_bp.get("/claims/<int:claim_id>")
@api(
    summary="A claim with its orders, documents and queries (its provider and staff)",
    roles=READERS,
    response=CLAIM_SCHEMA,
    errors=["not_found"],
)
def get_claim_api(user: Any, claim_id: int) -> Any:
    return claim_json(claim_queries.get_claim(db_session(), user, claim_id))


@api_bp.post("/claims/<int:claim_id>/documents")
@api(
    summary="Add evidence to a draft: PDF, JPEG, PNG or XLSX, at most 20 MB",
    roles=[PROVIDER],
    status=201,
    multipart={
        "type": "object",
        "required": ["kind", "file"],
        "properties": {
            "kind": {"enum": [k.value for k in ClaimDocumentKind]},
            "file": {"type": "string", "format": "binary"},
            "invoice_number": {"type": "string", "description": "invoices"},
            "invoice_amount_fen": {"type": "integer", "description": "invoices"},
        },
    },
    response=DOCUMENT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def add_document_api(user: Any, claim_id: int) -> Any:
    upload = request.files.get("file")
    doc = documents.add_claim_document(
        db_session(),
        user,
        claim_id,
        DocumentInput.from_input(request.form),  # invoice_amount_fen: integer fen
        (upload.stream, upload.filename) if upload else (None, None),
        current_app.config["UPLOAD_DIR"],
    )
    return document_json(doc)


@api_bp.delete("/claims/<int:claim_id>/documents/<int:document_id>")
@api(
    summary="Remove a document from a draft",
    roles=[PROVIDER],
    response=CLAIM_SCHEMA,
    errors=["invalid_state", "not_found"],
)
def remove_document_api(user: Any, claim_id: int, document_id: int) -> Any:
    documents.remove_claim_document(db_session(), user, claim_id, document_id)
    return _claim(user, claim_id)


@api_bp.get("/claims/<int:claim_id>/documents/<int:document_id>")
@api(summary="A document's file (its provider and staff)", roles=READERS, binary=UPLOAD_TYPES, errors=["not_found"])
def document_api(user: Any, claim_id: int, document_id: int) -> Any:
    doc = claim_queries.claim_document(db_session(), user, document_id)
    if doc.claim_id != claim_id:
        raise DomainError("not_found")
    return send_upload(doc.stored_name, doc.content_type, doc.original_name)


@api_bp.post("/claims/<int:claim_id>/submit")
@api(
    summary="Submit a draft to the next settlement date on or after today",
    roles=[PROVIDER],
    response=CLAIM_SCHEMA,
    errors=["missing_documents", "evidence_mismatch", "invalid_state", "sanctioned", "not_found"],
)
def submit_api(user: Any, claim_id: int) -> Any:
    claims.submit_claim(db_session(), user, claim_id)
    return _claim(user, claim_id)


@api_bp.post("/claims/<int:claim_id>/withdraw")
@api(
    summary="Withdraw a draft (its orders can be claimed again)",
    roles=[PROVIDER],
    response=CLAIM_SCHEMA,
    errors=["invalid_state", "not_found"],
)
def withdraw_api(user: Any, claim_id: int) -> Any:
    claims.withdraw_claim(db_session(), user, claim_id)
    return _claim(user, claim_id)


@api_bp.post("/claims/<int:claim_id>/review")
@api(
    summary="Review a claim: the operator first, then the authority; a rejection frees its orders (a held claim "
    "can still be rejected, also once approved)",
    roles=STAFF,
    body=DECISION,
    response=CLAIM_SCHEMA,
    errors=["validation_error", "invalid_state", "sanctioned", "evidence_mismatch", "not_found"],
)
def review_api(user: Any, claim_id: int) -> Any:
    reviews.review_claim(db_session(), user, claim_id, Decision.from_input(json_body()))
    return _claim(user, claim_id)


@api_bp.post("/claims/<int:claim_id>/orders/<int:order_id>/exclude")
@api(
    summary="Take one order out of a submitted claim, with a reason (the total is recomputed)",
    roles=[OPERATOR],
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=CLAIM_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def exclude_api(user: Any, claim_id: int, order_id: int) -> Any:
    reviews.exclude_order(db_session(), user, claim_id, order_id, ReasonInput.from_input(json_body()))
    return _claim(user, claim_id)


@api_bp.post("/claims/<int:claim_id>/orders/<int:order_id>/deduction")
@api(
    summary="扣减: pay one order of the claim less than its vouchers, with a reason (0 takes it back); "
    "the operator while the claim is submitted, the authority after the operator's approval",
    roles=[OPERATOR, AUTHORITY],
    body={
        "type": "object",
        "required": ["amount_fen"],
        "properties": {"amount_fen": {"type": "integer", "minimum": 0}, "reason": {"type": "string"}},
    },
    response=CLAIM_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def deduct_api(user: Any, claim_id: int, order_id: int) -> Any:
    inputs = Inputs(json_body())
    amount = inputs.fen("amount_fen", minimum=0)
    reason = inputs.reason(required=False)
    inputs.check()
    deductions.deduct_order(db_session(), user, claim_id, order_id, amount, reason)
    return _claim(user, claim_id)


@api_bp.post("/claims/<int:claim_id>/queries")
@api(
    summary="Query the operator about a claim it approved; due 3 working days on",
    roles=[AUTHORITY],
    status=201,
    body={"type": "object", "required": ["question"], "properties": {"question": {"type": "string"}}},
    response=QUERY_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def ask_api(user: Any, claim_id: int) -> Any:
    return query_json(reviews.ask_query(db_session(), user, claim_id, QueryInput.from_input(json_body())))


@api_bp.post("/claims/<int:claim_id>/queries/<int:query_id>/answer")
@api(
    summary="Answer the authority's query",
    roles=[OPERATOR],
    body={"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}},
    response=QUERY_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def answer_api(user: Any, claim_id: int, query_id: int) -> Any:
    return query_json(reviews.answer_query(db_session(), user, claim_id, query_id, AnswerInput.from_input(json_body())))


@api_bp.get("/claim-queries")
@api(
    summary="The authority's queries, open ones by due date first",
    roles=STAFF,
    query={
        "all": {"type": "boolean", "description": "answered ones too"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
)
def queries_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    result = claim_queries.list_queries(
        db_session(), user, open_only=not Inputs(request.args).boolean("all"), page=page, per_page=per_page
    )
    return result.as_json(query_json)


@api_bp.post("/claims/<int:claim_id>/disburse")
@api(
    summary="The finance bureau records the payment of an approved claim in no payment request",
    roles=[FINANCE],
    refused=PAYMENT_REFUSED,
    body={
        "type": "object",
        "required": ["reference"],
        "properties": {
            "reference": {"type": "string"},
            "paid_on": {
                "type": "string",
                "format": "date",
                "description": "today if absent; not before the authority's approval, not after today",
            },
            "amount_fen": {"type": "integer", "description": "the approved total, if given"},
        },
    },
    response=CLAIM_SCHEMA,
    errors=["validation_error", "invalid_state", "sanctioned", "not_found", "forbidden"],
)
def disburse_api(user: Any, claim_id: int) -> Any:
    reviews.disburse_claim(db_session(), user, claim_id, DisbursementInput.from_input(json_body()))
    return _claim(user, claim_id)


@api_bp.get("/settlement-dates")
@api(
    summary="Claims and vouchers per settlement date (submitted or later)",
    roles=STAFF,
    query={"year": {"type": "integer"}},
    errors=["validation_error"],
)
def settlement_dates_api(user: Any) -> Any:
    inputs = Inputs(request.args)
    year = inputs.year(required=False)
    inputs.check()
    return {
        "items": [
            {
                "settlement_date": r.day.isoformat(),
                "claims": r.claims,
                "total_fen": r.total_fen,
                "disbursed_fen": r.disbursed_fen,
                "by_status": r.by_status,
            }
            for r in claim_queries.settlement_summary(db_session(), year)
        ]
    }


@api_bp.get("/settlement-dates/<day>/export")
@api(
    summary="The claims of a settlement date as CSV (streamed) or XLSX: provider, USCC, claim, orders, enterprise, amounts, totals",
    roles=STAFF,
    query={"format": {"enum": ["csv", "xlsx"]}},
    binary=[exports.FORMATS["csv"], exports.FORMATS["xlsx"]],
    errors=["validation_error"],
)
def export_api(user: Any, day: str) -> Any:
    exporter = exports.exporter_for(user, SETTLEMENT_EXPORT.kind)
    return export_response(exporter, exporter.read_params({"settlement_date": day}))


def export_response(exporter: exports.Exporter, params: dict[str, Any]) -> Any:
    """An export's file in the format the query string asks for: CSV streamed, or XLSX."""
    inputs = Inputs(request.args)
    file_format = inputs.choice("format", list(exports.FORMATS), required=False, default="csv")
    inputs.check()
    name = f"{exporter.title(params)}.{file_format}"
    if file_format == "csv":
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(
            stream_with_context(exports.stream_csv(current_app.extensions["shop.sessions"], exporter, params)),
            mimetype=exports.FORMATS["csv"],
            headers={"Content-Disposition": disposition},
        )
    path = exports.xlsx_file(db_session(), exporter, params, current_app.config["EXPORT_DIR"])
    response = send_file(path, mimetype=exports.FORMATS["xlsx"], as_attachment=True, download_name=name, max_age=0)
    response.call_on_close(lambda: path.unlink(missing_ok=True))  # the open file is still sent
    return response
