"""Pages and API of organisations (第十条–第十四条): registration, an organisation's own page and its
certification documents, the operator's certification queue, organisation pages, sanctions,
affiliations and the blacklist. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from orgs import affiliations as org_affiliations
from orgs import sanctions as org_sanctions
from orgs import services
from orgs.commands import (
    AffiliationInput,
    BlacklistInput,
    OrganisationFilter,
    ReasonInput,
    Registration,
    SuspensionInput,
)
from orgs.models import Organisation
from orgs.states import ORGANISATION, OrgKind, OrgStatus
from shop import clock
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Decision, Inputs
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, api, db_session, json_body, public, render_form, roles_required, send_upload, signed_in

bp = Blueprint("orgs", __name__, template_folder="templates")
api_bp = Blueprint("orgs_api", __name__, url_prefix="/api/v1")

OPERATOR, AUTHORITY = Role.OPERATOR, Role.AUTHORITY
STAFF = (Role.OPERATOR, Role.AUTHORITY)
ORG_ROLES = (Role.ENTERPRISE, Role.PROVIDER)


# -- registration and an organisation's own pages -------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> Any:
    context = {"kinds": list(OrgKind)}
    if request.method == "GET":
        return render_template(
            "orgs/register.html", errors={}, form={"kind": request.args.get("kind", "enterprise")}, **context
        )
    try:
        org = services.register_organisation(db_session(), Registration.from_input(request.form))
    except DomainError as error:
        return render_form("orgs/register.html", error, **context)
    login_user(org.members[0])
    flash(_("Registered. Now upload your certification documents."), "success")
    return redirect(url_for("orgs.my_organisation"))


@bp.get("/organisation")
@roles_required(*ORG_ROLES)
def my_organisation() -> Any:
    return _organisation_page(errors={})


def _organisation_page(errors: dict, status: int = 200) -> Any:
    s = db_session()
    org = services.get_organisation(s, actor(), current_user.organisation_id)
    return render_template(
        "orgs/organisation.html",
        org=org,
        submission=services.latest_submission(s, org.id),
        errors=errors,
        needed=services.CERTIFICATION_DOCUMENTS[org.kind],
        labels=services.DOCUMENT_LABELS,
        can=lambda action: ORGANISATION.can(org.status, action),
        may=services.allowed_actions(actor(), org),
        affiliations=org_affiliations.affiliations_of(s, org.id),
        sanction=org_sanctions.sanction_of(s, org.id),
    ), status


@bp.post("/organisation/certification")
@roles_required(*ORG_ROLES)
def submit_certification() -> Any:
    files = {name: (f.stream, f.filename) for name, f in request.files.items()}
    try:
        services.submit_certification(
            db_session(), actor(), current_user.organisation_id, files, current_app.config["UPLOAD_DIR"]
        )
    except DomainError as error:
        return _organisation_page(errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("Documents received. The operator will review them."), "success")
    return redirect(url_for("orgs.my_organisation"))


@bp.get("/documents/<int:document_id>")
@signed_in
def document(document_id: int) -> Any:
    doc = services.certification_document(db_session(), actor(), document_id)
    return send_upload(doc.stored_name, doc.content_type, doc.original_name)


# -- operator and authority -------------------------------------------------------------------------


@bp.get("/operator/certifications")
@roles_required(OPERATOR)
def review_queue() -> Any:
    page, per_page = page_args(request.args)
    return render_template("orgs/review_queue.html", page=services.review_queue(db_session(), page, per_page))


@bp.get("/staff/organisations")
@roles_required(*STAFF)
def organisations() -> Any:
    page, per_page = page_args(request.args)
    result = services.list_organisations(db_session(), OrganisationFilter.from_args(request.args), page, per_page)
    return render_template("orgs/organisations.html", page=result, kinds=list(OrgKind), statuses=list(OrgStatus))


@bp.get("/staff/organisations/<int:org_id>")
@roles_required(*STAFF)
def organisation_detail(org_id: int, errors: dict | None = None, status: int = 200, which: str | None = None) -> Any:
    s = db_session()
    org = services.get_organisation(s, actor(), org_id)
    return render_template(
        "orgs/organisation_detail.html",
        org=org,
        submission=services.latest_submission(s, org.id),
        can=lambda action: ORGANISATION.can(org.status, action),
        may=services.allowed_actions(actor(), org),
        labels=services.DOCUMENT_LABELS,
        affiliations=org_affiliations.affiliations_of(s, org.id),
        sanction=org_sanctions.sanction_of(s, org.id),
        errors=errors or {},
        form=request.form,
        which=which,
        tomorrow=clock.today() + dt.timedelta(days=1),
    ), status


def _sanction(org_id: int, which: str, command: Any, use_case: Any, done: Any) -> Any:
    """Suspend or reinstate from the organisation's page; faults go beside the form's fields."""
    try:
        org = use_case(db_session(), actor(), org_id, command.from_input(request.form))
    except DomainError as error:
        if error.code in ("not_found", "forbidden"):
            raise
        errors = {f"{which}.{k}": v for k, v in error.errors.items()} or {"sanction": [error.detail]}
        return organisation_detail(org_id, errors=errors, status=error.status, which=which)
    flash(done(org), "info")
    return redirect(url_for("orgs.organisation_detail", org_id=org_id))


@bp.post("/operator/organisations/<int:org_id>/suspend")
@roles_required(OPERATOR)
def suspend_organisation(org_id: int) -> Any:
    return _sanction(
        org_id,
        "suspend",
        SuspensionInput,
        org_sanctions.suspend_organisation,
        lambda org: (
            _("%(name)s is suspended until %(day)s.", name=org.name, day=org.suspended_until.isoformat())
            if org.suspended_until
            else _("%(name)s is suspended until you reinstate it.", name=org.name)
        ),
    )


@bp.post("/operator/organisations/<int:org_id>/reinstate")
@roles_required(OPERATOR)
def reinstate_organisation(org_id: int) -> Any:
    return _sanction(
        org_id,
        "reinstate",
        ReasonInput,
        org_sanctions.reinstate_organisation,
        lambda org: _("%(name)s is reinstated: it acts again and its held claims go on.", name=org.name),
    )


@bp.post("/operator/organisations/<int:org_id>/review")
@roles_required(OPERATOR)
def review_organisation(org_id: int) -> Any:
    try:
        org = services.review_organisation(db_session(), actor(), org_id, Decision.from_input(request.form))
    except DomainError as error:
        return organisation_detail(org_id, errors=error.errors or {"decision": [error.detail]}, status=error.status)
    if org.status == OrgStatus.CERTIFIED:
        flash(_("%(name)s is certified.", name=org.name), "success")
    else:
        flash(_("%(name)s was rejected; it will see your reason.", name=org.name), "info")
    return redirect(url_for("orgs.review_queue"))


@bp.route("/operator/affiliations", methods=["GET", "POST"])
@roles_required(OPERATOR)
def affiliations() -> Any:
    s = db_session()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        inputs = Inputs(request.form)
        org_id = inputs.integer("organisation_a", minimum=1)
        try:
            inputs.check()
            org_affiliations.add_affiliation(
                s, actor(), org_id, AffiliationInput.from_input(request.form, field="organisation_b")
            )
            flash(_("The affiliation is recorded."), "success")
            return redirect(url_for("orgs.affiliations"))
        except DomainError as error:
            errors, status = error.errors or {"organisation_a": [error.detail]}, error.status
    page, per_page = page_args(request.args)
    return render_template(
        "orgs/affiliations.html",
        page=org_affiliations.list_affiliations(s, page, per_page),
        errors=errors,
        form=request.form,
    ), status


@bp.post("/operator/affiliations/<int:affiliation_id>/delete")
@roles_required(OPERATOR)
def delete_affiliation(affiliation_id: int) -> Any:
    org_affiliations.remove_affiliation(db_session(), actor(), affiliation_id)
    flash(_("The affiliation is removed."), "info")
    return redirect(url_for("orgs.affiliations"))


@bp.route("/operator/blacklist", methods=["GET", "POST"])
@roles_required(OPERATOR)
def blacklist() -> Any:
    s = db_session()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            services.add_to_blacklist(s, actor(), BlacklistInput.from_input(request.form))
            flash(_("The code is on the blacklist."), "success")
            return redirect(url_for("orgs.blacklist"))
        except DomainError as error:
            errors, status = error.errors, error.status
    page, per_page = page_args(request.args)
    return render_template(
        "orgs/blacklist.html",
        page=services.list_blacklist(s, page, per_page),
        errors=errors,
        form=request.form if request.method == "POST" else request.args,
    ), status


@bp.post("/operator/blacklist/<int:entry_id>/delete")
@roles_required(OPERATOR)
def delete_blacklist_entry(entry_id: int) -> Any:
    try:
        services.remove_from_blacklist(db_session(), actor(), entry_id, ReasonInput.from_input(request.form))
    except DomainError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("orgs.blacklist"))
    flash(_("The code is off the blacklist."), "info")
    return redirect(url_for("orgs.blacklist"))


# -- the API ------------------------------------------------------------------------------------------

ORGANISATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": ["enterprise", "provider"]},
        "uscc": {"type": "string"},
        "name": {"type": "string"},
        "region_code": {"type": "string"},
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
    summary="Organisations, newest first",
    roles=STAFF,
    query={
        "q": {"type": "string"},
        "kind": {"type": "string"},
        "status": {"type": "string"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
)
def list_organisations_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    result = services.list_organisations(db_session(), OrganisationFilter.from_args(request.args), page, per_page)
    sanctions = org_sanctions.sanctions_of(db_session(), [org.id for org in result.items])
    return result.as_json(lambda org: organisation_json(org, sanctions))


@api_bp.get("/organisations/<int:org_id>")
@api(summary="An organisation (its members and staff)", response=ORGANISATION_SCHEMA, errors=["not_found"])
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
    summary="Certify or reject an organisation",
    roles=[OPERATOR],
    body={
        "type": "object",
        "required": ["decision"],
        "properties": {"decision": {"enum": ["approve", "reject"]}, "reason": {"type": "string"}},
    },
    response=ORGANISATION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def review_organisation_api(user: Any, org_id: int) -> Any:
    org = services.review_organisation(db_session(), user, org_id, Decision.from_input(json_body()))
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
