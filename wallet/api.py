"""The ``/api/v1`` endpoints of the programme, quota applications and wallets. Thin: parse, call a
service, answer JSON. The pages are ``wallet.views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shop.inputs import Decision
from shop.pagination import Page, page_args
from shop.states import Role
from shop.web import api, db_session, json_body
from wallet import programmes, services
from wallet.commands import ProgrammeInput, QuotaRequest
from wallet.models import Programme, QuotaApplication
from wallet.views import year_arg

api_bp = Blueprint("wallet_api", __name__, url_prefix="/api/v1")


RATIOS_SCHEMA = {
    "type": "object",
    "properties": {
        k: {"type": "integer", "minimum": 0, "maximum": 100} for k in ("infrastructure", "platform", "application")
    },
}
PROGRAMME_SCHEMA = {
    "type": "object",
    "properties": {
        "year": {"type": "integer"},
        "budget_fen": {"type": "integer"},
        "granted_fen": {"type": "integer"},
        "reserved_fen": {"type": "integer"},
        "remaining_fen": {"type": "integer"},
        "enterprise_cap_fen": {"type": "integer"},
        "ratios": RATIOS_SCHEMA,
        "settlement_dates": {"type": "array", "items": {"type": "string", "format": "date"}},
        "applications_open_on": {"type": "string", "format": "date"},
        "applications_close_on": {"type": "string", "format": "date"},
    },
}
APPLICATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "year": {"type": "integer"},
        "organisation_id": {"type": "integer"},
        "status": {"enum": ["pending", "granted", "rejected"]},
        "reserved_fen": {"type": "integer"},
        "granted_fen": {"type": "integer"},
        "reason": {"type": ["string", "null"]},
    },
}


def programme_json(prog: Programme) -> dict[str, Any]:
    figures = programmes.programme_figures(db_session(), prog)
    return {
        "year": prog.year,
        "budget_fen": prog.budget_fen,
        "granted_fen": figures.granted_fen,
        "reserved_fen": figures.reserved_fen,
        "remaining_fen": figures.remaining_fen,
        "enterprise_cap_fen": prog.enterprise_cap_fen,
        "ratios": prog.ratios,
        "settlement_dates": [d.day.isoformat() for d in prog.settlement_dates],
        "applications_open_on": prog.applications_open_on.isoformat(),
        "applications_close_on": prog.applications_close_on.isoformat(),
    }


def application_json(application: QuotaApplication) -> dict[str, Any]:
    return {
        "id": application.id,
        "year": application.year,
        "organisation_id": application.organisation_id,
        "status": application.status.value,
        "reserved_fen": application.reserved_fen,
        "granted_fen": application.granted_fen,
        "reason": application.reason,
        "applied_at": application.applied_at.isoformat(),
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
    }


@api_bp.post("/programmes")
@api(
    summary="Set a year's programme",
    roles=[Role.AUTHORITY],
    status=201,
    body={
        "type": "object",
        "required": ["year", "budget_fen", "enterprise_cap_fen", "ratios"],
        "properties": {
            "year": {"type": "integer"},
            "budget_fen": {"type": "integer"},
            "enterprise_cap_fen": {"type": "integer"},
            "ratios": RATIOS_SCHEMA,
            "settlement_dates": {"type": "array", "items": {"type": "string", "format": "date"}},
            "applications_open_on": {"type": "string", "format": "date"},
            "applications_close_on": {"type": "string", "format": "date"},
        },
    },
    response=PROGRAMME_SCHEMA,
    errors=["validation_error"],
)
def create_programme_api(user: Any) -> Any:
    return programme_json(programmes.create_programme(db_session(), user, ProgrammeInput.from_input(json_body())))


@api_bp.get("/programmes")
@api(summary="Every year's programme, newest first", response={"type": "object"})
def list_programmes_api(_user: Any) -> Any:
    items = [programme_json(p) for p in programmes.list_programmes(db_session())]
    return {"items": items, "total": len(items), "page": 1, "per_page": max(len(items), 1)}


@api_bp.get("/programmes/<int(max=2147483647):year>")
@api(
    summary="A year's programme with what is granted and what remains", response=PROGRAMME_SCHEMA, errors=["not_found"]
)
def get_programme_api(_user: Any, year: int) -> Any:
    return programme_json(programmes.get_programme(db_session(), year))


@api_bp.patch("/programmes/<int(max=2147483647):year>")
@api(
    summary="Change a year's programme (refused when it breaks what is committed)",
    roles=[Role.AUTHORITY],
    body={"type": "object", "properties": PROGRAMME_SCHEMA["properties"]},
    response=PROGRAMME_SCHEMA,
    errors=["validation_error", "not_found"],
)
def update_programme_api(user: Any, year: int) -> Any:
    return programme_json(
        programmes.update_programme(db_session(), user, year, ProgrammeInput.from_input(json_body(), year=year))
    )


@api_bp.post("/quota-applications")
@api(
    summary="Apply for the year's voucher quota (first come, first served)",
    roles=[Role.ENTERPRISE],
    status=201,
    body={"type": "object", "properties": {"year": {"type": "integer"}}},
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "not_eligible", "quota_already_applied", "budget_exhausted", "not_found"],
)
def apply_api(user: Any) -> Any:
    return application_json(services.apply_for_quota(db_session(), user, QuotaRequest.from_input(json_body()).year))


@api_bp.get("/quota-applications")
@api(
    summary="Quota applications: an enterprise's own, or those of the staff's jurisdiction, in order of arrival",
    roles=[Role.ENTERPRISE, Role.OPERATOR, Role.AUTHORITY],
    query={"status": {"type": "string"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}},
)
def list_applications_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    if user.is_staff:
        result = services.application_queue(db_session(), user, page, per_page, status=request.args.get("status", ""))
    else:
        own = services.applications_of(db_session(), user.organisation_id)
        result = Page(own, len(own), 1, max(len(own), 1))
    return result.as_json(application_json)


@api_bp.get("/quota-applications/<int:application_id>")
@api(
    summary="A quota application (its enterprise and the staff of its jurisdiction)",
    response=APPLICATION_SCHEMA,
    errors=["not_found"],
)
def get_application_api(user: Any, application_id: int) -> Any:
    return application_json(services.get_application(db_session(), user, application_id))


@api_bp.post("/quota-applications/<int:application_id>/review")
@api(
    summary="Grant or reject a quota application",
    roles=[Role.OPERATOR],
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {"decision": {"enum": ["approve", "reject"]}, "reason": {"type": "string"}},
    },
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "invalid_state", "sanctioned", "not_found"],
)
def review_application_api(user: Any, application_id: int) -> Any:
    return application_json(
        services.review_application(db_session(), user, application_id, Decision.from_input(json_body()))
    )


WALLET_SCHEMA = {
    "type": "object",
    "properties": {
        k: {"type": "integer"}
        for k in (
            "year",
            "granted_fen",
            "available_fen",
            "in_orders_fen",
            "claimed_fen",
            "disbursed_fen",
            "expired_fen",
        )
    }
    | {"expires_on": {"type": "string", "format": "date"}},
}


@api_bp.get("/wallet")
@api(
    summary="The enterprise's vouchers for a year",
    roles=[Role.ENTERPRISE],
    query={"year": {"type": "integer"}},
    response=WALLET_SCHEMA,
)
def wallet_api(user: Any) -> Any:
    return services.wallet(db_session(), user.organisation_id, year_arg()).as_json()


@api_bp.get("/wallet/ledger")
@api(
    summary="Movements of the enterprise's available vouchers with the running balance, newest first",
    roles=[Role.ENTERPRISE],
    query={"year": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}},
)
def wallet_ledger_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    result = services.wallet_lines(db_session(), user.organisation_id, year_arg(), page, per_page)
    return result.as_json(
        lambda line: {
            "at": line.at.isoformat(),
            "kind": line.kind,
            "ref_type": line.ref_type,
            "ref_id": line.ref_id,
            "amount_fen": line.amount_fen,
            "balance_fen": line.balance_fen,
        }
    )
