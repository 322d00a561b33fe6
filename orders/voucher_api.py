"""The ``/api/v1`` endpoints of contract vouchers (Linyi, Liuzhou: ``orders.contract_vouchers``): the
enterprise applies for its order, reviewers decide each stage, the authority closes a ranked round,
staff lapse a voucher whose contract is not performed. The pages are ``orders.voucher_views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from orders import contract_vouchers, voucher_issue, voucher_reviews
from orders.states import VoucherStatus
from orders.views import gateway
from orders.voucher_commands import VoucherApplication, VoucherReview
from orders.voucher_models import ContractVoucher
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import ReasonInput
from shop.pagination import page_args
from shop.states import Role
from shop.web import api, db_session, json_body

api_bp = Blueprint("orders_vouchers_api", __name__, url_prefix="/api/v1")

STAFF = [Role.OPERATOR, Role.AUTHORITY]
READERS = [Role.ENTERPRISE, Role.PROVIDER, *STAFF]

VOUCHER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": ["string", "null"], "description": "<programme code>-<year>-<six digits>, once issued"},
        "order_id": {"type": "integer"},
        "programme_id": {"type": "integer"},
        "programme": {"type": "string"},
        "scheme": {"type": "string"},
        "policy_version": {"type": "integer"},
        "year": {"type": "integer"},
        "enterprise_id": {"type": "integer"},
        "provider_id": {"type": "integer"},
        "order_total_fen": {"type": "integer"},
        "ratio": {"type": "integer"},
        "amount_fen": {"type": "integer"},
        "reserved_fen": {"type": "integer"},
        "facts": {"type": "object"},
        "status": {"enum": [s.value for s in VoucherStatus]},
        "stage": {"type": ["string", "null"], "description": "the review stage it waits for: county or city"},
        "due_on": {"type": ["string", "null"], "format": "date"},
        "score": {"type": ["integer", "null"]},
        "reviews": {"type": "array", "items": {"type": "object"}},
        "notice_ends_on": {"type": ["string", "null"], "format": "date"},
        "issued_on": {"type": ["string", "null"], "format": "date"},
        "valid_until": {"type": ["string", "null"], "format": "date"},
        "card_refund_fen": {"type": "integer"},
        "reason": {"type": ["string", "null"]},
    },
}


def _day(value: Any) -> str | None:
    return value.isoformat() if value else None


def voucher_json(voucher: ContractVoucher) -> dict[str, Any]:
    s = db_session()
    _book, rules = contract_vouchers.book_of(s, voucher)
    waiting = voucher.status in voucher_reviews.WAITING
    from wallet.models import Programme

    return {
        "id": voucher.id,
        "number": voucher.number,
        "order_id": voucher.order_id,
        "programme_id": voucher.programme_id,
        "programme": s.get(Programme, voucher.programme_id).code,
        "scheme": voucher.scheme,
        "policy_version": voucher.policy_version,
        "year": voucher.year,
        "enterprise_id": voucher.organisation_id,
        "provider_id": voucher.provider_id,
        "order_total_fen": voucher.order_total_fen,
        "ratio": voucher.ratio,
        "amount_fen": voucher.amount_fen,
        "reserved_fen": voucher.reserved_fen,
        "facts": voucher.facts or {},
        "status": voucher.status.value,
        "stage": voucher_reviews.stage_of(rules, voucher) if waiting else None,
        "due_on": _day(voucher.due_on),
        "score": voucher.score,
        "reviews": voucher.reviews or [],
        "notice_ends_on": _day(voucher.notice_ends_on),
        "issued_on": _day(voucher.issued_on),
        "valid_until": _day(voucher.valid_until),
        "card_refund_fen": voucher.card_refund_fen,
        "reason": voucher.reason,
    }


def _after_issue(voucher: ContractVoucher) -> None:
    """The card refund of an issued voucher is sent after its commit (``voucher_issue``)."""
    if voucher.status == VoucherStatus.ISSUED and voucher.card_refund_fen and not voucher.card_refund_id:
        voucher_issue.settle_card_refunds(db_session(), gateway(), voucher.id)


@api_bp.post("/orders/<int:order_id>/voucher-application")
@api(
    summary="Apply for a contract voucher for the enterprise's own order (Linyi, Liuzhou)",
    roles=[Role.ENTERPRISE],
    status=201,
    body={
        "type": "object",
        "properties": {
            "programme_id": {"type": "integer", "description": "default: the running contract programme of the region"},
            "facts": {"type": "object", "description": 'e.g. {"certificates": ["lianghua"]} (Linyi\'s 6万 cap)'},
        },
    },
    response=VOUCHER_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found", "not_eligible", "budget_exhausted", "sanctioned"],
)
def apply_api(user: Any, order_id: int) -> Any:
    command = VoucherApplication.from_input(json_body())
    voucher = contract_vouchers.apply_for_voucher(db_session(), user, order_id, command.programme_id, command.facts)
    return voucher_json(voucher)


@api_bp.get("/contract-vouchers")
@api(
    summary="Contract vouchers: the enterprise's own, the provider's orders', or under the staff's jurisdiction",
    roles=READERS,
    query={
        "status": {"enum": [s.value for s in VoucherStatus]},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    errors=["validation_error"],
)
def list_api(user: Any) -> Any:
    raw = request.args.get("status")
    try:
        status = VoucherStatus(raw) if raw else None
    except ValueError:
        raise ValidationError({"status": [_l("There is no such status.")]}) from None
    page, per_page = page_args(request.args)
    result = contract_vouchers.list_vouchers(db_session(), user, status=status, page=page, per_page=per_page)
    return result.as_json(voucher_json)


@api_bp.get("/contract-vouchers/<int:voucher_id>")
@api(summary="A contract voucher", roles=READERS, response=VOUCHER_SCHEMA, errors=["not_found"])
def get_api(user: Any, voucher_id: int) -> Any:
    return voucher_json(contract_vouchers.get_voucher(db_session(), user, voucher_id))


@api_bp.post("/contract-vouchers/<int:voucher_id>/review")
@api(
    summary="Decide the voucher's current review stage (a county's or the city's reviewers; a score 0–100 where the programme ranks)",
    roles=STAFF,
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"enum": ["approve", "reject"]},
            "reason": {"type": "string"},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
        },
    },
    response=VOUCHER_SCHEMA,
    errors=["validation_error", "invalid_state", "forbidden", "not_found", "sanctioned"],
)
def review_api(user: Any, voucher_id: int) -> Any:
    voucher = voucher_reviews.review_voucher(db_session(), user, voucher_id, VoucherReview.from_input(json_body()))
    _after_issue(voucher)
    return voucher_json(voucher)


@api_bp.post("/programmes/<int:programme_id>/rounds/close")
@api(
    summary="Close a ranked programme's round (择优, 额满即止): grant by score while the budget lasts, refuse the rest",
    roles=[Role.AUTHORITY],
    response={
        "type": "object",
        "properties": {
            "granted": {"type": "array", "items": VOUCHER_SCHEMA},
            "refused": {"type": "array", "items": VOUCHER_SCHEMA},
        },
    },
    errors=["invalid_state", "not_found", "sanctioned"],
)
def close_round_api(user: Any, programme_id: int) -> Any:
    lines = voucher_reviews.close_round(db_session(), user, programme_id)
    for line in lines:
        _after_issue(line.voucher)
    return {
        "granted": [voucher_json(line.voucher) for line in lines if line.granted],
        "refused": [voucher_json(line.voucher) for line in lines if not line.granted],
    }


@api_bp.post("/contract-vouchers/<int:voucher_id>/lapse")
@api(
    summary="Lapse an issued voucher whose contract is not performed (the money back to the budget)",
    roles=STAFF,
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=VOUCHER_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def lapse_api(user: Any, voucher_id: int) -> Any:
    reason = ReasonInput.from_input(json_body()).reason
    return voucher_json(voucher_issue.lapse_voucher(db_session(), user, voucher_id, reason))
