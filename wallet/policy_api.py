"""The ``/api/v1`` endpoints of programmes as policy (API.md "Programmes as policy"): the presets, a
programme by its code and its policy versions, the evidence of an application's facts, giving back
an unused part of a grant, and 复核. The
rest of the wallet's API is ``wallet.api``, whose blueprint these join."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from shop.inputs import Inputs
from shop.states import Role
from shop.uploads import UPLOAD_TYPES
from shop.web import api, db_session, json_body, send_upload
from wallet import application_documents, grant_upkeep, grants, policies, reconsiderations, versions
from wallet.api import APPLICATION_SCHEMA, PROGRAMME_SCHEMA, api_bp, application_json, programme_json
from wallet.commands import GrantRequest
from wallet.models import ApplicationDocument, PolicyVersion, Reconsideration

READERS = [Role.ENTERPRISE, Role.OPERATOR, Role.AUTHORITY]


@api_bp.get("/policy-presets")
@api(summary="The presets a programme starts from, their schemes and flows", public=True, response={"type": "object"})
def policy_presets_api(_user: Any) -> Any:
    return {"items": policies.presets_json()}


@api_bp.get("/programmes/<string(maxlength=40):code>")
@api(summary="A programme by its code", response=PROGRAMME_SCHEMA, errors=["not_found"])
def get_programme_by_code_api(_user: Any, code: str) -> Any:
    return programme_json(grants.get_by_code(db_session(), code))


@api_bp.patch("/programmes/<string(maxlength=40):code>")
@api(
    summary="Change a programme's budget or settlement dates (its rules: a new policy version)",
    roles=[Role.AUTHORITY],
    body={
        "type": "object",
        "properties": {
            "budget_fen": {"type": "integer"},
            "settlement_dates": {"type": "array", "items": {"type": "string", "format": "date"}},
        },
    },
    response=PROGRAMME_SCHEMA,
    errors=["validation_error", "not_found"],
)
def update_programme_by_code_api(user: Any, code: str) -> Any:
    inputs = Inputs(json_body())
    budget = inputs.fen("budget_fen", required=False, minimum=0)
    dates = inputs.dates("settlement_dates", required=False) if inputs.present("settlement_dates") else None
    inputs.check()
    return programme_json(policies.update_programme(db_session(), user, code, budget, dates))


def version_json(version: PolicyVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "preset": version.preset,
        "overrides": version.overrides,
        "rules": version.rules,
        "reason": version.reason,
        "created_at": version.created_at.isoformat(),
    }


@api_bp.get("/programmes/<code>/policy-versions")
@api(summary="Every version of a programme's policy, newest first", errors=["not_found"], response={"type": "object"})
def policy_versions_api(_user: Any, code: str) -> Any:
    programme = grants.get_by_code(db_session(), code)
    return {"items": [version_json(v) for v in versions.history(db_session(), programme.id)]}


@api_bp.post("/programmes/<code>/policy-versions")
@api(
    summary="Change a programme's policy: a new version (the preset with these overrides)",
    roles=[Role.AUTHORITY],
    status=201,
    body={
        "type": "object",
        "required": ["overrides", "reason"],
        "properties": {"overrides": {"type": "object"}, "reason": {"type": "string"}},
    },
    errors=["validation_error", "not_found"],
    response={"type": "object"},
)
def change_policy_api(user: Any, code: str) -> Any:
    body = json_body()
    inputs = Inputs(body)
    reason = inputs.reason()
    overrides = body.get("overrides") if isinstance(body, dict) else None
    if not isinstance(overrides, dict):
        inputs.error("overrides", "Give the overrides as an object of rule → value.")
    inputs.check()
    return version_json(policies.change_policy(db_session(), user, code, overrides, reason))


@api_bp.post("/quota-applications/<int:application_id>/release")
@api(
    summary="Give an unused part of a grant back to the programme's budget",
    roles=[Role.OPERATOR],
    body={
        "type": "object",
        "required": ["amount_fen", "reason"],
        "properties": {"amount_fen": {"type": "integer"}, "reason": {"type": "string"}},
    },
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def release_api(user: Any, application_id: int) -> Any:
    inputs = Inputs(json_body())
    amount, reason = inputs.fen("amount_fen", minimum=1), inputs.reason()
    inputs.check()
    return application_json(grant_upkeep.release(db_session(), user, application_id, amount, reason))


def reconsideration_json(item: Reconsideration) -> dict[str, Any]:
    return {
        "id": item.id,
        "application_id": item.application_id,
        "status": item.status,
        "reason": item.reason,
        "accept_by": item.accept_by.isoformat(),
        "decide_by": item.decide_by.isoformat() if item.decide_by else None,
        "decision_reason": item.decision_reason,
    }


@api_bp.post("/quota-applications/<int:application_id>/reconsiderations")
@api(
    summary="Ask for a 复核 of a grant in its notice (it holds the grant until decided)",
    roles=[Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR, Role.AUTHORITY],
    status=201,
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    errors=["validation_error", "invalid_state", "not_found"],
    response={"type": "object"},
)
def request_reconsideration_api(user: Any, application_id: int) -> Any:
    inputs = Inputs(json_body())
    reason = inputs.reason()
    inputs.check()
    return reconsideration_json(reconsiderations.request(db_session(), user, application_id, reason))


@api_bp.post("/reconsiderations/<int:item_id>/answer")
@api(
    summary="Accept a 复核 request, or not (with a reason)",
    roles=[Role.OPERATOR],
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {"decision": {"enum": ["accept", "refuse"]}, "reason": {"type": "string"}},
    },
    errors=["validation_error", "invalid_state", "not_found"],
    response={"type": "object"},
)
def answer_reconsideration_api(user: Any, item_id: int) -> Any:
    inputs = Inputs(json_body())
    accept = inputs.choice("decision", ["accept", "refuse"]) == "accept"
    reason = inputs.reason(required=not accept)
    inputs.check()
    return reconsideration_json(reconsiderations.answer(db_session(), user, item_id, accept, reason))


@api_bp.post("/reconsiderations/<int:item_id>/decision")
@api(
    summary="Decide an accepted 复核: uphold (the grant is cancelled) or dismiss",
    roles=[Role.OPERATOR],
    body={
        "type": "object",
        "required": ["decision", "reason"],
        "properties": {"decision": {"enum": ["uphold", "dismiss"]}, "reason": {"type": "string"}},
    },
    errors=["validation_error", "invalid_state", "not_found"],
    response={"type": "object"},
)
def decide_reconsideration_api(user: Any, item_id: int) -> Any:
    inputs = Inputs(json_body())
    uphold = inputs.choice("decision", ["uphold", "dismiss"]) == "uphold"
    reason = inputs.reason()
    inputs.check()
    return reconsideration_json(reconsiderations.decide(db_session(), user, item_id, uphold, reason))


@api_bp.post("/quota-applications/<int:application_id>/return")
@api(
    summary="Return an incomplete application for completion (where the policy allows it)",
    roles=[Role.OPERATOR],
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def return_application_api(user: Any, application_id: int) -> Any:
    inputs = Inputs(json_body())
    reason = inputs.reason()
    inputs.check()
    return application_json(grant_upkeep.return_for_completion(db_session(), user, application_id, reason))


@api_bp.post("/quota-applications/<int:application_id>/complete")
@api(
    summary="Complete a returned application with the facts asked for",
    roles=[Role.ENTERPRISE],
    body={"type": "object", "properties": {"facts": {"type": "object"}}},
    response=APPLICATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def complete_application_api(user: Any, application_id: int) -> Any:
    request_ = GrantRequest.from_input({"facts": (json_body() or {}).get("facts") or {}})
    return application_json(grant_upkeep.complete(db_session(), user, application_id, request_.facts))


# -- the evidence of an application's facts ------------------------------------------------------------

APPLICATION_DOCUMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "application_id": {"type": "integer"},
        "fact": {"type": "string", "description": "one of the scheme's facts, or other"},
        "name": {"type": "string"},
        "content_type": {"type": "string"},
        "size_bytes": {"type": "integer"},
        "sha256": {"type": "string"},
        "uploaded_at": {"type": "string", "format": "date-time"},
    },
}


def application_document_json(document: ApplicationDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "application_id": document.application_id,
        "fact": document.fact,
        "name": document.original_name,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "uploaded_at": document.uploaded_at.isoformat(),
    }


@api_bp.post("/quota-applications/<int:application_id>/documents")
@api(
    summary="Add evidence of a fact to an application before its decision: PDF, JPEG or PNG, at most 10 MB",
    roles=[Role.ENTERPRISE],
    status=201,
    multipart={
        "type": "object",
        "required": ["fact", "file"],
        "properties": {
            "fact": {"type": "string", "description": "one of the scheme's facts (e.g. last_year_tax_fen), or other"},
            "file": {"type": "string", "format": "binary"},
        },
    },
    response=APPLICATION_DOCUMENT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def add_application_document_api(user: Any, application_id: int) -> Any:
    upload = request.files.get("file")
    document = application_documents.add_application_document(
        db_session(),
        user,
        application_id,
        (request.form.get("fact") or "").strip(),
        (upload.stream, upload.filename) if upload else (None, None),
        current_app.config["UPLOAD_DIR"],
    )
    return application_document_json(document)


@api_bp.get("/quota-applications/<int:application_id>/documents")
@api(
    summary="The evidence of an application (its enterprise and the staff of its jurisdiction)",
    roles=READERS,
    response={"type": "object", "properties": {"items": {"type": "array", "items": APPLICATION_DOCUMENT_SCHEMA}}},
    errors=["not_found"],
)
def application_documents_api(user: Any, application_id: int) -> Any:
    documents = application_documents.documents_of(db_session(), user, application_id)
    return {"items": [application_document_json(d) for d in documents]}


@api_bp.get("/quota-applications/<int:application_id>/documents/<int:document_id>")
@api(
    summary="A document's file (its enterprise and the staff of its jurisdiction)",
    roles=READERS,
    binary=UPLOAD_TYPES,
    errors=["not_found"],
)
def application_document_api(user: Any, application_id: int, document_id: int) -> Any:
    document = application_documents.application_document(db_session(), user, application_id, document_id)
    return send_upload(document.stored_name, document.content_type, document.original_name)
