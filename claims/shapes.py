"""The JSON shapes of redemption claims in the API: the schemas the OpenAPI document shows
(``CLAIM_SCHEMA`` and its parts) and the functions that write a claim, its documents and its queries
(``claim_json``, ``document_json``, ``query_json``). The endpoints are ``claims.api``."""

from __future__ import annotations

from typing import Any

from claims import services as claims
from claims.models import Claim, ClaimDocument, ClaimItem, ClaimQuery
from claims.states import ClaimDocumentKind, ClaimStatus
from shop import clock
from shop.web import db_session

ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "order_id": {"type": "integer"},
        "enterprise_id": {"type": "integer"},
        "voucher_year": {"type": "integer"},
        "wallet": {"type": "string", "description": "the wallet the order spent: 2026, or <programme>/<scheme>"},
        "voucher_fen": {"type": "integer"},
        "deducted_fen": {"type": "integer", "description": "扣减: what is not paid of the order's vouchers"},
        "deduction_reason": {"type": ["string", "null"]},
        "order_total_fen": {"type": "integer"},
        "excluded": {"type": "boolean"},
        "excluded_reason": {"type": ["string", "null"]},
    },
}
DOCUMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": [k.value for k in ClaimDocumentKind]},
        "name": {"type": "string"},
        "content_type": {"type": "string"},
        "size_bytes": {"type": "integer"},
        "sha256": {"type": "string"},
        "invoice_number": {"type": ["string", "null"]},
        "invoice_amount_fen": {"type": ["integer", "null"]},
        "uploaded_at": {"type": "string"},
    },
}
QUERY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "question": {"type": "string"},
        "asked_on": {"type": "string", "format": "date"},
        "due_on": {"type": "string", "format": "date"},
        "answer": {"type": ["string", "null"]},
        "answered_on": {"type": ["string", "null"], "format": "date"},
        "overdue": {"type": "boolean"},
    },
}
HOLD_SCHEMA = {
    "type": "object",
    "properties": {
        "organisation_id": {"type": "integer"},
        "name": {"type": "string"},
        "sanction": {"enum": ["suspended", "expelled", "blacklisted"]},
        "until": {"type": ["string", "null"], "format": "date"},
    },
}
CLAIM_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "provider_id": {"type": "integer"},
        "status": {"enum": [s.value for s in ClaimStatus]},
        "held": {
            "type": "boolean",
            "description": "its provider or an enterprise of its orders is sanctioned: it waits "
            "(only a rejection is possible) until the sanction ends",
        },
        "held_by": {"type": "array", "items": HOLD_SCHEMA},
        "total_fen": {"type": "integer"},
        "policy_version": {"type": ["integer", "null"], "description": "of its settlement date's programme"},
        "deducted_fen": {"type": "integer"},
        "payable_fen": {"type": "integer", "description": "what is paid: the vouchers less the deductions"},
        "settlement_date": {"type": ["string", "null"], "format": "date"},
        "reason": {"type": ["string", "null"]},
        "disbursement_reference": {"type": ["string", "null"]},
        "disbursed_on": {"type": ["string", "null"], "format": "date"},
        "disbursed_fen": {"type": ["integer", "null"]},
        "set_off_fen": {"type": "integer", "description": "of the payment, what settled its provider's recoveries"},
        "payment_request_id": {"type": ["integer", "null"], "description": "拨付申请: the request it was sent in"},
        "orders": {"type": "array", "items": ITEM_SCHEMA},
        "documents": {"type": "array", "items": DOCUMENT_SCHEMA},
        "queries": {"type": "array", "items": QUERY_SCHEMA},
    },
}


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def document_json(doc: ClaimDocument) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind.value,
        "name": doc.original_name,
        "content_type": doc.content_type,
        "size_bytes": doc.size_bytes,
        "sha256": doc.sha256,
        "invoice_number": doc.invoice_number,
        "invoice_amount_fen": doc.invoice_amount_fen,
        "uploaded_at": _when(doc.uploaded_at),
    }


def query_json(query: ClaimQuery) -> dict[str, Any]:
    return {
        "id": query.id,
        "claim_id": query.claim_id,
        "question": query.question,
        "asked_on": _when(query.asked_on),
        "due_on": _when(query.due_on),
        "answer": query.answer,
        "answered_on": _when(query.answered_on),
        "overdue": query.is_overdue(clock.today()),
    }


def _item_json(item: ClaimItem) -> dict[str, Any]:
    return {
        "order_id": item.order_id,
        "enterprise_id": item.enterprise_id,
        "voucher_year": item.voucher_year,
        "wallet": item.voucher_book or str(item.voucher_year),
        "voucher_fen": item.voucher_fen,
        "deducted_fen": item.deducted_fen,
        "deduction_reason": item.deduction_reason,
        "order_total_fen": item.order.total_fen,
        "excluded": not item.live,
        "excluded_reason": item.excluded_reason,
    }


def _hold_json(hold: Any) -> dict[str, Any]:
    return {
        "organisation_id": hold.organisation_id,
        "name": hold.name,
        "sanction": hold.kind,
        "until": _when(hold.until),
    }


def claim_json(claim: Claim, *, full: bool = True, held: bool | None = None) -> dict[str, Any]:
    """``held``: known already (a list's row); otherwise the claim's holds are read and listed."""
    holds = claims.claim_holds(db_session(), claim) if held is None else None
    body = {
        "id": claim.id,
        "provider_id": claim.provider_id,
        "status": claim.status.value,
        "held": bool(holds) if held is None else bool(held),
        "total_fen": claim.total_fen,
        "settlement_date": _when(claim.settlement_date),
        "deducted_fen": claim.deducted_fen,
        "payable_fen": claim.payable_fen,
        "policy_version": claim.policy_version,
        "reason": claim.reason,
        "created_at": _when(claim.created_at),
        "submitted_at": _when(claim.submitted_at),
        "disbursement_reference": claim.disbursement_reference,
        "disbursed_on": _when(claim.disbursed_on),
        "disbursed_fen": claim.disbursed_fen,
        "set_off_fen": claim.set_off_fen or 0,
        "payment_request_id": claim.payment_request_id,
    }
    if holds is not None:
        body["held_by"] = [_hold_json(h) for h in holds]
    if full:
        body.update(
            orders=[_item_json(i) for i in claim.items if i.live or i.excluded_at],
            documents=[document_json(d) for d in claim.live_documents],
            queries=[query_json(q) for q in claim.queries],
        )
    return body
