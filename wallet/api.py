"""The ``/api/v1`` endpoints of the programme, quota applications and wallets. Thin: parse, call a
service, answer JSON. The pages are ``wallet.views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shop.inputs import Decision, Inputs
from shop.pagination import Page, page_args
from shop.states import Role
from shop.web import api, db_session, json_body
from wallet import grants, policies, programmes, services, versions
from wallet.commands import GrantRequest, ProgrammeInput, ProgrammeSpec
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
        "id": {"type": "integer", "description": "what the programme's calls take (payment requests, a round)"},
        "code": {"type": "string"},
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
        "status": {"enum": ["pending", "returned", "in_notice", "on_hold", "granted", "rejected"]},
        "programme": {"type": "string"},
        "scheme": {"type": "string"},
        "policy_version": {"type": "integer"},
        "reserved_fen": {"type": "integer"},
        "granted_fen": {"type": "integer"},
        "reason": {"type": ["string", "null"]},
    },
}


def programme_json(prog: Programme) -> dict[str, Any]:
    figures = programmes.programme_figures(db_session(), prog)
    rules = versions.rules_of(db_session(), prog)
    return {
        "id": prog.id,
        "code": prog.code,
        "title": prog.title,
        "preset": prog.preset,
        "policy_version": prog.policy_version,
        "jurisdiction": prog.jurisdiction,
        "starts_on": prog.starts_on.isoformat(),
        "ends_on": prog.ends_on.isoformat(),
        "schemes": [
            {"key": s.key, "title": s.title, "flow": s.flow, "ratios": dict(s.ratios), "cap_fen": s.cap_fen}
            for s in rules.schemes
        ],
        "blocks": [{"jurisdiction": j, "budget_fen": amount} for j, amount in sorted(rules.blocks.items())],
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
        "programme": application.programme.code,
        "scheme": application.scheme,
        "facts": application.facts or {},
        "policy_version": application.policy_version,
        "released_fen": application.released_fen,
        "notice_ends_on": application.notice_ends_on.isoformat() if application.notice_ends_on else None,
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
        "description": "With `preset`: a programme of that preset (ProgrammeSpec); without: a Guizhou year",
        "properties": {
            "year": {"type": "integer"},
            "preset": {"enum": ["guizhou", "linyi", "liuzhou", "baiyun", "guangdong"]},
            "code": {"type": "string"},
            "title": {"type": "string"},
            "jurisdiction": {"type": "string"},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "allocations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"jurisdiction": {"type": "string"}, "budget_fen": {"type": "integer"}},
                },
            },
            "overrides": {"type": "object"},
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
    body = json_body()
    if isinstance(body, dict) and "preset" in body:
        return programme_json(policies.create_from_preset(db_session(), user, ProgrammeSpec.from_input(body)))
    return programme_json(programmes.create_programme(db_session(), user, ProgrammeInput.from_input(body)))


@api_bp.get("/programmes")
@api(
    summary="Programmes, newest first (of a year, applying in a jurisdiction)",
    query={"year": {"type": "integer"}, "jurisdiction": {"type": "string"}},
    response={"type": "object"},
)
def list_programmes_api(_user: Any) -> Any:
    inputs = Inputs(request.args)
    year = inputs.integer("year", required=False, minimum=1, maximum=9999)
    jurisdiction = inputs.text("jurisdiction", required=False, max_length=12)
    inputs.check()
    items = [programme_json(p) for p in policies.list_programmes(db_session(), year=year, jurisdiction=jurisdiction)]
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
    body={
        "type": "object",
        "properties": {
            "year": {"type": "integer"},
            "programme": {"type": "string"},
            "scheme": {"type": "string"},
            "facts": {"type": "object"},
        },
    },
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "not_eligible", "quota_already_applied", "budget_exhausted", "not_found"],
)
def apply_api(user: Any) -> Any:
    request_ = GrantRequest.from_input(json_body())
    if request_.programme:
        return application_json(grants.apply(db_session(), user, request_.programme, request_.scheme, request_.facts))
    return application_json(services.apply_for_quota(db_session(), user, request_.year))


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
        "properties": {
            "decision": {"enum": ["approve", "reject"]},
            "reason": {"type": "string"},
            "granted_fen": {"type": "integer"},
        },
    },
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "invalid_state", "sanctioned", "not_found"],
)
def review_application_api(user: Any, application_id: int) -> Any:
    body = json_body()
    decision = Decision.from_input(body)
    inputs = Inputs(body)
    granted = inputs.fen("granted_fen", required=False, minimum=1)
    inputs.check()
    return application_json(services.review_application(db_session(), user, application_id, decision, granted))


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
    query={"year": {"type": "integer"}, "programme": {"type": "string"}, "scheme": {"type": "string"}},
    response=WALLET_SCHEMA,
)
def wallet_api(user: Any) -> Any:
    inputs = Inputs(request.args)
    code = inputs.text("programme", required=False, max_length=40)
    scheme = inputs.text("scheme", required=False, max_length=40)
    inputs.check()
    if code:
        application = services.application_in(db_session(), user.organisation_id, code, scheme)
        return services.wallet(db_session(), user.organisation_id, application.year, application).as_json()
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
