"""The ``/api/v1`` endpoints of recoveries (追回): open one against a paid claim, list and read them
(staff of the claim's jurisdiction), record a repayment. Thin: parse, call ``claims.recoveries``,
answer JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from claims import recoveries
from claims.commands import RecoveryInput, RepaymentInput
from claims.recovery_models import Recovery, RecoverySettlement
from claims.states import RecoverySettlementKind, RecoveryStatus
from shop.inputs import Inputs
from shop.pagination import page_args
from shop.web import api, db_session, json_body

api_bp = Blueprint("recoveries_api", __name__, url_prefix="/api/v1")
STAFF = recoveries.STAFF  # the finance bureau reads recoveries and records repayments
OPENERS = recoveries.OPENERS  # an operator or an authority opens one

SETTLEMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"enum": [k.value for k in RecoverySettlementKind]},
        "amount_fen": {"type": "integer"},
        "reference": {"type": ["string", "null"]},
        "paid_on": {"type": "string", "format": "date"},
        "claim_id": {"type": ["integer", "null"], "description": "a set-off: the later claim whose payment it was"},
    },
}
RECOVERY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "claim_id": {"type": "integer"},
        "organisation_id": {"type": "integer", "description": "the claim's provider, who owes it"},
        "organisation_name": {"type": "string"},
        "jurisdiction": {"type": "string"},
        "status": {"enum": [s.value for s in RecoveryStatus]},
        "amount_fen": {"type": "integer"},
        "repaid_fen": {"type": "integer"},
        "set_off_fen": {"type": "integer"},
        "owed_fen": {"type": "integer"},
        "reason": {"type": "string"},
        "banned": {"type": "boolean", "description": "its provider was banned with it"},
        "opened_at": {"type": "string", "format": "date-time"},
        "settled_at": {"type": ["string", "null"], "format": "date-time"},
        "settlements": {"type": "array", "items": SETTLEMENT_SCHEMA},
    },
}


def settlement_json(s: RecoverySettlement) -> dict[str, Any]:
    return {
        "kind": s.kind.value,
        "amount_fen": s.amount_fen,
        "reference": s.reference,
        "paid_on": s.paid_on.isoformat(),
        "claim_id": s.claim_id,
    }


def recovery_json(r: Recovery) -> dict[str, Any]:
    return {
        "id": r.id,
        "claim_id": r.claim_id,
        "organisation_id": r.organisation_id,
        "organisation_name": r.organisation.name,
        "jurisdiction": r.jurisdiction,
        "status": r.status.value,
        "amount_fen": r.amount_fen,
        "repaid_fen": r.repaid_fen,
        "set_off_fen": r.set_off_fen,
        "owed_fen": r.owed_fen,
        "reason": r.reason,
        "banned": r.banned,
        "opened_at": r.opened_at.isoformat(),
        "settled_at": r.settled_at.isoformat() if r.settled_at else None,
        "settlements": [settlement_json(s) for s in r.settlements],
    }


def _recovery(user: Any, recovery_id: int) -> dict[str, Any]:
    db_session().expire_all()
    return recovery_json(recoveries.staff_recovery(db_session(), user, recovery_id))


@api_bp.post("/claims/<int:claim_id>/recoveries")
@api(
    summary="追回: open a recovery against a paid claim (at most what it paid less what is under recovery); "
    "its amount moves from disbursed to recovering; `ban` puts the provider on the blacklist for the "
    "programme's term",
    roles=list(OPENERS),
    status=201,
    body={
        "type": "object",
        "required": ["amount_fen", "reason"],
        "properties": {
            "amount_fen": {"type": "integer", "minimum": 1},
            "reason": {"type": "string"},
            "ban": {"type": "boolean", "description": "fraud: ban the provider (Liuzhou 3 years, Baiyun 5)"},
        },
    },
    response=RECOVERY_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def open_recovery_api(user: Any, claim_id: int) -> Any:
    recovery = recoveries.open_recovery(db_session(), user, claim_id, RecoveryInput.from_input(json_body()))
    return _recovery(user, recovery.id)


@api_bp.get("/recoveries")
@api(
    summary="Recoveries under the caller's jurisdiction, open ones first",
    roles=list(STAFF),
    query={
        "status": {"enum": [s.value for s in RecoveryStatus]},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    errors=["validation_error"],
)
def list_recoveries_api(user: Any) -> Any:
    inputs = Inputs(request.args)
    status = inputs.choice("status", [s.value for s in RecoveryStatus], required=False)
    inputs.check()
    page, per_page = page_args(request.args)
    result = recoveries.list_recoveries(
        db_session(), user, page, per_page, status=RecoveryStatus(status) if status else None
    )
    return result.as_json(recovery_json)


@api_bp.get("/recoveries/<int:recovery_id>")
@api(
    summary="A recovery with its repayments and set-offs",
    roles=list(STAFF),
    response=RECOVERY_SCHEMA,
    errors=["not_found"],
)
def recovery_api(user: Any, recovery_id: int) -> Any:
    return _recovery(user, recovery_id)


@api_bp.post("/recoveries/<int:recovery_id>/repayments")
@api(
    summary="Record a repayment of a recovery (part of what is owed, or all): back to the programme's budget",
    roles=list(STAFF),
    status=201,
    body={
        "type": "object",
        "required": ["amount_fen", "reference", "paid_on"],
        "properties": {
            "amount_fen": {"type": "integer", "minimum": 1},
            "reference": {"type": "string", "description": "the bank reference of the transfer"},
            "paid_on": {"type": "string", "format": "date", "description": "not before the recovery, not after today"},
        },
    },
    response=RECOVERY_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def repayment_api(user: Any, recovery_id: int) -> Any:
    recoveries.record_repayment(db_session(), user, recovery_id, RepaymentInput.from_input(json_body()))
    return _recovery(user, recovery_id)
