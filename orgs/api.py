"""The ``/api/v1`` routes of organisations (blueprint ``orgs_api``): registration, an organisation and
its certification documents, the operator's review, affiliations, suspension and reinstatement, and
the JSON of an organisation. Thin: parse, call a service, answer JSON. The pages are ``orgs.views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from orgs import affiliations as org_affiliations
from orgs import blacklist as org_blacklist
from orgs import sanctions as org_sanctions
from orgs import services
from orgs.commands import AffiliationInput, CertificationDecision, OrganisationFilter, Registration, SuspensionInput
from orgs.models import Organisation
from orgs.states import OrgStatus
from orgs.views import OPERATOR, ORG_ROLES, STAFF
from shop import clock
from shop.inputs import ReasonInput
from shop.pagination import page_args
from shop.web import api, db_session, json_body

api_bp = Blueprint("orgs_api", __name__, url_prefix="/api/v1")


ORGANISATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": ["enterprise", "provider"]},
        "uscc": {"type": "string"},
        "name": {"type": "string"},
        "region_code": {"type": "string"},
        "region_note": {
            "type": ["string", "null"],
            "description": "why the region differs from the division code in the credit code (characters 3-8), "
            "as the operator recorded it when certifying",
        },
        "established_on": {"type": "string", "format": "date"},
        "status": {"enum": [s.value for s in OrgStatus]},
        "status_reason": {"type": ["string", "null"]},
        "suspended_until": {"type": ["string", "null"], "format": "date"},
        "sanction": {
            "type": ["object", "null"],
            "description": "the sanction in force: nothing it is party to moves money",
            "properties": {
                "kind": {"enum": ["suspended", "expelled", "blacklisted"]},
                "reason": {"type": ["string", "null"]},
                "until": {"type": ["string", "null"], "format": "date"},
            },
        },
    },
}


def organisation_json(org: Organisation, sanctions: dict[int, Any] | None = None) -> dict[str, Any]:
    """``sanctions``: those of a whole page (``orgs.sanctions.sanctions_of``), read at once."""
    sanction = (sanctions if sanctions is not None else org_sanctions.sanctions_of(db_session(), [org.id])).get(org.id)
    return {
        "id": org.id,
        "kind": org.kind.value,
        "uscc": org.uscc,
        "name": org.name,
        "region_code": org.region_code,
        "region_note": org.region_note,
        "established_on": org.established_on.isoformat(),
        "legal_representative": org.legal_representative,
        "contact_name": org.contact_name,
        "contact_phone": org.contact_phone,
        "email": org.email,
        "status": org.status.value,
        "status_reason": org.status_reason,
        "exit_effective_on": org.exit_effective_on.isoformat() if org.exit_effective_on else None,
        "certified_at": org.certified_at.isoformat() if org.certified_at else None,
        "suspended_until": org.suspended_until.isoformat() if org.suspended_until else None,
        "sanction": {
            "kind": sanction.kind,
            "reason": sanction.reason,
            "until": sanction.until.isoformat() if sanction.until else None,
        }
        if sanction
        else None,
    }


@api_bp.post("/organisations")
@api(
    summary="Register an enterprise or a provider",
    public=True,
    status=201,
    body={
        "type": "object",
        "required": [
            "kind",
            "uscc",
            "name",
            "region_code",
            "established_on",
            "legal_representative",
            "contact_name",
            "email",
            "password",
        ],
        "properties": {
            "kind": {"enum": ["enterprise", "provider"]},
            "uscc": {"type": "string"},
            "name": {"type": "string"},
            "region_code": {"type": "string", "pattern": "^[0-9]{6}$"},
            "established_on": {"type": "string", "format": "date"},
            "legal_representative": {"type": "string"},
            "contact_name": {"type": "string"},
            "contact_phone": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": 10},
        },
    },
    response=ORGANISATION_SCHEMA,
    errors=["validation_error", "invalid_uscc", "duplicate_organisation", "blacklisted"],
)
def register_api(_actor: Any) -> Any:
    org = services.register_organisation(db_session(), Registration.from_input(json_body()))
    return organisation_json(org)


@api_bp.get("/organisations")
@api(
    summary="Organisations of the caller's jurisdiction, newest first",
    roles=STAFF,
    query={
        "q": {"type": "string"},
        "kind": {"type": "string"},
        "status": {"type": "string"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
)
def list_organisations_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    result = services.list_organisations(db_session(), user, OrganisationFilter.from_args(request.args), page, per_page)
    sanctions = org_sanctions.sanctions_of(db_session(), [org.id for org in result.items])
    return result.as_json(lambda org: organisation_json(org, sanctions))


@api_bp.get("/organisations/<int:org_id>")
@api(
    summary="An organisation (its members and the staff of its jurisdiction)",
    response=ORGANISATION_SCHEMA,
    errors=["not_found"],
)
def get_organisation_api(user: Any, org_id: int) -> Any:
    return organisation_json(services.get_organisation(db_session(), user, org_id))


@api_bp.post("/organisations/<int:org_id>/certification")
@api(
    summary="Upload the certification documents",
    roles=ORG_ROLES,
    multipart={
        "type": "object",
        "required": ["business_licence", "realname_form"],
        "properties": {
            "business_licence": {"type": "string", "format": "binary"},
            "realname_form": {"type": "string", "format": "binary"},
            "contact_id_card": {"type": "string", "format": "binary", "description": "enterprises only"},
        },
    },
    response=ORGANISATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def submit_certification_api(user: Any, org_id: int) -> Any:
    files = {name: (f.stream, f.filename) for name, f in request.files.items()}
    org = services.submit_certification(db_session(), user, org_id, files, current_app.config["UPLOAD_DIR"])
    return organisation_json(org)


@api_bp.post("/organisations/<int:org_id>/review")
@api(
    summary="Certify or reject an organisation of the operator's jurisdiction",
    roles=[OPERATOR],
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"enum": ["approve", "reject"]},
            "reason": {"type": "string"},
            "region_note": {
                "type": "string",
                "description": "why the region differs from the division code in the credit code; required to "
                "certify such an organisation (422 region_mismatch without it)",
            },
        },
    },
    response=ORGANISATION_SCHEMA,
    errors=["validation_error", "region_mismatch", "invalid_state", "not_found"],
)
def review_organisation_api(user: Any, org_id: int) -> Any:
    given = CertificationDecision.from_input(json_body())
    org = services.review_organisation(db_session(), user, org_id, given.decision, given.region_note)
    return organisation_json(org)


@api_bp.post("/organisations/<int:org_id>/affiliations")
@api(
    summary="Record an affiliation between two organisations (symmetric)",
    roles=[OPERATOR],
    status=201,
    body={
        "type": "object",
        "required": ["organisation_id", "note"],
        "properties": {"organisation_id": {"type": "integer"}, "note": {"type": "string"}},
    },
    errors=["validation_error", "not_found"],
)
def add_affiliation_api(user: Any, org_id: int) -> Any:
    affiliation = org_affiliations.add_affiliation(db_session(), user, org_id, AffiliationInput.from_input(json_body()))
    return {
        "id": affiliation.id,
        "organisation_ids": [affiliation.organisation_low_id, affiliation.organisation_high_id],
        "note": affiliation.note,
    }


@api_bp.post("/organisations/<int:org_id>/suspend")
@api(
    summary="Suspend an enterprise or a provider, until a date or until it is reinstated: nothing it is party to "
    "moves money meanwhile, its products are off sale and its pending claims are held",
    roles=[OPERATOR],
    body={
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string"},
            "until": {"type": "string", "format": "date", "description": "the day it ends by itself"},
        },
    },
    response=ORGANISATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def suspend_organisation_api(user: Any, org_id: int) -> Any:
    return organisation_json(
        org_sanctions.suspend_organisation(db_session(), user, org_id, SuspensionInput.from_input(json_body()))
    )


@api_bp.post("/organisations/<int:org_id>/reinstate")
@api(
    summary="End a suspension",
    roles=[OPERATOR],
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=ORGANISATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def reinstate_organisation_api(user: Any, org_id: int) -> Any:
    return organisation_json(
        org_sanctions.reinstate_organisation(db_session(), user, org_id, ReasonInput.from_input(json_body()))
    )


NEGATIVE_ENTRY_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": ["string", "null"]},
        "uscc": {"type": "string"},
        "reason": {"type": "string"},
        "since": {"type": "string", "format": "date"},
        "until": {"type": ["string", "null"], "format": "date", "description": "the day the ban ends; null: 长期"},
    },
}


@api_bp.get("/negative-list")
@api(
    summary="负面清单: the bans in force (the blacklist, with their terms), newest first; public",
    public=True,
    query={"page": {"type": "integer"}, "per_page": {"type": "integer"}},
    response={"type": "object", "properties": {"items": {"type": "array", "items": NEGATIVE_ENTRY_SCHEMA}}},
)
def negative_list_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    return org_blacklist.negative_list(db_session(), page, per_page).as_json(
        lambda e: {
            "name": e.name,
            "uscc": e.uscc,
            "reason": e.reason,
            "since": clock.china_date(e.created_at).isoformat(),
            "until": e.ends_on.isoformat() if e.ends_on else None,
        }
    )
