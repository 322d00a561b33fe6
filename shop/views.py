"""Pages and API of the foundation: home, sign-in, registration, certification, the operator's
organisation pages, the holiday table and the audit trail. Thin: parse, call a service, render."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from shop import LANGUAGES, nav, services
from shop.audit import SUBJECT_TYPES, AuditCheckpoint, verify_chain
from shop.auth import authenticate, end_sessions, issue_token, live_tokens, revoke_token
from shop.errors import DomainError
from shop.i18n import _, _l
from shop.inputs import Inputs
from shop.models import Organisation
from shop.openapi import build_openapi
from shop.pagination import page_args, paginate
from shop.states import OrgKind, OrgStatus, Role
from shop.web import (
    actor,
    api,
    db_session,
    json_body,
    local_target,
    public,
    render_form,
    roles_required,
    send_upload,
    signed_in,
)

bp = Blueprint("shop", __name__)
api_bp = Blueprint("shop_api", __name__, url_prefix="/api/v1")

OPERATOR, AUTHORITY = Role.OPERATOR, Role.AUTHORITY
STAFF = (Role.OPERATOR, Role.AUTHORITY)
ORG_ROLES = (Role.ENTERPRISE, Role.PROVIDER)

def init_nav() -> None:
    """The foundation's entries of the navigation (called by ``create_app``)."""
    nav.add("shop.my_organisation", _l("My organisation"), {"enterprise", "provider"}, order=90)
    nav.add("shop.review_queue", _l("Certification"), {"operator"}, order=10,
            count=lambda s, u: services.review_queue_count(s))
    nav.add("shop.organisations", _l("Organisations"), {"operator", "authority"}, order=80)
    nav.add("shop.audit", _l("Audit trail"), {"operator", "authority"}, order=95)


def _client() -> str:
    return request.remote_addr or "unknown"


# -- public pages -------------------------------------------------------------------------------

@bp.get("/")
@public
def home() -> Any:
    return render_template("home.html")


@bp.get("/healthz")
@public
def healthz() -> Any:
    db_session().execute(select(1))
    return {"status": "ok"}


@bp.get("/lang/<code>")
@public
def set_language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(local_target(request.args.get("next"), url_for("shop.home")))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", errors={}, form={})
    inputs = Inputs(request.form)
    email = inputs.text("email", max_length=254) or ""
    password = inputs.text("password", max_length=200) or ""
    try:
        inputs.check()
        user = authenticate(db_session(), email, password, _client())
    except DomainError as error:
        return render_form("login.html", error, status=error.status if error.status != 422 else 422)
    login_user(user, remember=False)
    session.permanent = True
    return redirect(local_target(request.args.get("next"), url_for("shop.home")))


@bp.post("/logout")
@signed_in
def logout() -> Any:
    end_sessions(db_session(), actor())    # a copy of the cookie stops working too
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("shop.home"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> Any:
    context = {"kinds": list(OrgKind)}
    if request.method == "GET":
        return render_template("register.html", errors={}, form={"kind": request.args.get("kind", "enterprise")},
                               **context)
    try:
        org = services.register_organisation(db_session(), services.Registration.from_input(request.form))
    except DomainError as error:
        return render_form("register.html", error, **context)
    login_user(org.members[0])
    flash(_("Registered. Now upload your certification documents."), "success")
    return redirect(url_for("shop.my_organisation"))


# -- an organisation's own pages ------------------------------------------------------------------

@bp.get("/organisation")
@roles_required(*ORG_ROLES)
def my_organisation() -> Any:
    return _organisation_page(errors={})


def _organisation_page(errors: dict, status: int = 200) -> Any:
    s = db_session()
    org = services.get_organisation(s, actor(), current_user.organisation_id)
    return render_template(
        "organisation.html", org=org, submission=services.latest_submission(s, org.id), errors=errors,
        needed=services.CERTIFICATION_DOCUMENTS[org.kind], labels=services.DOCUMENT_LABELS,
        can_submit=org.status in (OrgStatus.PENDING_CERTIFICATION, OrgStatus.REJECTED, OrgStatus.UNDER_REVIEW),
        affiliations=services.affiliations_of(s, org.id), sanction=services.sanction_of(s, org.id),
    ), status


@bp.post("/organisation/certification")
@roles_required(*ORG_ROLES)
def submit_certification() -> Any:
    files = {name: (f.stream, f.filename) for name, f in request.files.items()}
    try:
        services.submit_certification(db_session(), actor(), current_user.organisation_id, files,
                                      current_app.config["UPLOAD_DIR"])
    except DomainError as error:
        return _organisation_page(errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("Documents received. The operator will review them."), "success")
    return redirect(url_for("shop.my_organisation"))


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
    return render_template("review_queue.html", page=services.review_queue(db_session(), page, per_page))


@bp.get("/staff/organisations")
@roles_required(*STAFF)
def organisations() -> Any:
    page, per_page = page_args(request.args)
    result = services.list_organisations(db_session(), q=request.args.get("q"), kind=request.args.get("kind"),
                                         status=request.args.get("status"), page=page, per_page=per_page)
    return render_template("organisations.html", page=result, kinds=list(OrgKind), statuses=list(OrgStatus))


@bp.get("/staff/organisations/<int:org_id>")
@roles_required(*STAFF)
def organisation_detail(org_id: int, errors: dict | None = None, status: int = 200, which: str | None = None) -> Any:
    from shop import clock
    s = db_session()
    org = services.get_organisation(s, actor(), org_id)
    return render_template("organisation_detail.html", org=org, submission=services.latest_submission(s, org.id),
                           labels=services.DOCUMENT_LABELS, affiliations=services.affiliations_of(s, org.id),
                           sanction=services.sanction_of(s, org.id), errors=errors or {}, form=request.form,
                           which=which, tomorrow=clock.today() + dt.timedelta(days=1)), status


def _sanction(org_id: int, which: str, use_case: Any, done: Any) -> Any:
    """Suspend or reinstate from the organisation's page; faults go beside the form's fields."""
    try:
        org = use_case(db_session(), actor(), org_id, request.form)
    except DomainError as error:
        if error.code in ("not_found", "forbidden"):
            raise
        errors = {f"{which}.{k}": v for k, v in error.errors.items()} or {"sanction": [error.detail]}
        return organisation_detail(org_id, errors=errors, status=error.status, which=which)
    flash(done(org), "info")
    return redirect(url_for("shop.organisation_detail", org_id=org_id))


@bp.post("/operator/organisations/<int:org_id>/suspend")
@roles_required(OPERATOR)
def suspend_organisation(org_id: int) -> Any:
    return _sanction(org_id, "suspend", services.suspend_organisation, lambda org: _(
        "%(name)s is suspended until %(day)s.", name=org.name, day=org.suspended_until.isoformat())
        if org.suspended_until else _("%(name)s is suspended until you reinstate it.", name=org.name))


@bp.post("/operator/organisations/<int:org_id>/reinstate")
@roles_required(OPERATOR)
def reinstate_organisation(org_id: int) -> Any:
    return _sanction(org_id, "reinstate", services.reinstate_organisation,
                     lambda org: _("%(name)s is reinstated: it acts again and its held claims go on.", name=org.name))


@bp.post("/operator/organisations/<int:org_id>/review")
@roles_required(OPERATOR)
def review_organisation(org_id: int) -> Any:
    try:
        org = services.review_organisation(db_session(), actor(), org_id, request.form.get("decision", ""),
                                           request.form.get("reason"))
    except DomainError as error:
        return organisation_detail(org_id, errors=error.errors or {"decision": [error.detail]}, status=error.status)
    if org.status == OrgStatus.CERTIFIED:
        flash(_("%(name)s is certified.", name=org.name), "success")
    else:
        flash(_("%(name)s was rejected; it will see your reason.", name=org.name), "info")
    return redirect(url_for("shop.review_queue"))


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
            services.add_affiliation(s, actor(), org_id, request.form.get("organisation_b"), request.form.get("note"))
            flash(_("The affiliation is recorded."), "success")
            return redirect(url_for("shop.affiliations"))
        except DomainError as error:
            errors = {("organisation_b" if k == "organisation_id" else k): v for k, v in error.errors.items()}
            errors = errors or {"organisation_a": [error.detail]}
            status = error.status
    page, per_page = page_args(request.args)
    return render_template("affiliations.html", page=services.list_affiliations(s, page, per_page),
                           errors=errors, form=request.form), status


@bp.post("/operator/affiliations/<int:affiliation_id>/delete")
@roles_required(OPERATOR)
def delete_affiliation(affiliation_id: int) -> Any:
    services.remove_affiliation(db_session(), actor(), affiliation_id)
    flash(_("The affiliation is removed."), "info")
    return redirect(url_for("shop.affiliations"))


@bp.route("/operator/blacklist", methods=["GET", "POST"])
@roles_required(OPERATOR)
def blacklist() -> Any:
    s = db_session()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            services.add_to_blacklist(s, actor(), request.form.get("uscc"), request.form.get("reason"))
            flash(_("The code is on the blacklist."), "success")
            return redirect(url_for("shop.blacklist"))
        except DomainError as error:
            errors, status = error.errors, error.status
    page, per_page = page_args(request.args)
    return render_template("blacklist.html", page=services.list_blacklist(s, page, per_page), errors=errors,
                           form=request.form if request.method == "POST" else request.args), status


@bp.post("/operator/blacklist/<int:entry_id>/delete")
@roles_required(OPERATOR)
def delete_blacklist_entry(entry_id: int) -> Any:
    try:
        services.remove_from_blacklist(db_session(), actor(), entry_id, request.form.get("reason"))
    except DomainError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("shop.blacklist"))
    flash(_("The code is off the blacklist."), "info")
    return redirect(url_for("shop.blacklist"))


@bp.route("/operator/holidays", methods=["GET", "POST"])
@roles_required(*STAFF)
def holidays() -> Any:
    s = db_session()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            services.set_holiday(s, actor(), request.form)
            flash(_("The calendar is updated."), "success")
            return redirect(url_for("shop.holidays", year=request.form.get("day", "")[:4]))
        except DomainError as error:
            errors, status = error.errors or {"day": [error.detail]}, error.status
    from shop import clock
    year = Inputs(request.args).integer("year", required=False, minimum=2000, maximum=2100,
                                        default=clock.today().year)
    return render_template("holidays.html", holidays=services.list_holidays(s, year), year=year, errors=errors,
                           form=request.form, calendar_knows=clock.calendar_knows(dt.date(year, 6, 1))), status


@bp.post("/operator/holidays/<day>/delete")
@roles_required(OPERATOR)
def delete_holiday(day: str) -> Any:
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    services.delete_holiday(db_session(), actor(), parsed)
    flash(_("The entry is removed."), "info")
    return redirect(url_for("shop.holidays", year=parsed.year))


@bp.get("/staff/audit")
@roles_required(*STAFF)
def audit() -> Any:
    page, per_page = page_args(request.args, default_per_page=50)
    s = db_session()
    errors: dict = {}
    try:
        where = services.read_audit_filter(request.args)
    except DomainError as error:
        errors, where = error.errors, services.AuditFilter()
    result = paginate(s, services.audit_query(s, where), page, per_page)
    return render_template("audit.html", page=result, where=where, errors=errors, subject_types=SUBJECT_TYPES,
                           chain=services.chain_status(s))


@bp.post("/staff/audit/verification")
@roles_required(*STAFF)
def verify_audit_chain() -> Any:
    """Recompute the whole chain on request (in a reading session of its own) and keep the result."""
    from shop.db import one_snapshot, read_only_transactions
    with read_only_transactions(), current_app.extensions["shop.sessions"]() as reader:
        one_snapshot(reader)
        report = verify_chain(reader)
    services.record_chain_verification(db_session(), actor(), report)
    if report.ok:
        flash(_("The hash chain is intact: %(n)d entries checked.", n=report.checked), "success")
    else:
        flash(_("The hash chain is broken at entry %(id)s: %(problem)s", id=report.broken_id, problem=report.problem),
              "error")
    return redirect(url_for("shop.audit"))


# -- the API ------------------------------------------------------------------------------------------

ORGANISATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "kind": {"enum": ["enterprise", "provider"]}, "uscc": {"type": "string"},
        "name": {"type": "string"}, "region_code": {"type": "string"}, "established_on": {"type": "string", "format": "date"},
        "status": {"enum": [s.value for s in OrgStatus]}, "status_reason": {"type": ["string", "null"]},
        "suspended_until": {"type": ["string", "null"], "format": "date"},
        "sanction": {"type": ["object", "null"], "description": "the sanction in force: nothing it is party to moves money",
                     "properties": {"kind": {"enum": ["suspended", "expelled", "blacklisted"]},
                                    "reason": {"type": ["string", "null"]},
                                    "until": {"type": ["string", "null"], "format": "date"}}},
    },
}


def organisation_json(org: Organisation, sanctions: dict[int, Any] | None = None) -> dict[str, Any]:
    """``sanctions``: those of a whole page (``services.sanctions_of``), read at once."""
    sanction = (sanctions if sanctions is not None else services.sanctions_of(db_session(), [org.id])).get(org.id)
    return {
        "id": org.id, "kind": org.kind.value, "uscc": org.uscc, "name": org.name, "region_code": org.region_code,
        "established_on": org.established_on.isoformat(), "legal_representative": org.legal_representative,
        "contact_name": org.contact_name, "contact_phone": org.contact_phone, "email": org.email,
        "status": org.status.value, "status_reason": org.status_reason,
        "exit_effective_on": org.exit_effective_on.isoformat() if org.exit_effective_on else None,
        "certified_at": org.certified_at.isoformat() if org.certified_at else None,
        "suspended_until": org.suspended_until.isoformat() if org.suspended_until else None,
        "sanction": {"kind": sanction.kind, "reason": sanction.reason,
                     "until": sanction.until.isoformat() if sanction.until else None} if sanction else None,
    }


@api_bp.get("/openapi.json")
@api(summary="This document", public=True)
def openapi(_actor: Any) -> Any:
    return build_openapi(current_app)


@api_bp.post("/tokens")
@api(summary="Exchange an e-mail and a password for a bearer token", public=True, status=201,
     body={"type": "object", "required": ["email", "password"],
           "properties": {"email": {"type": "string"}, "password": {"type": "string"}}},
     response={"type": "object", "properties": {"token": {"type": "string"},
                                                "expires_at": {"type": "string", "format": "date-time"}}},
     errors=["validation_error", "unauthorized", "too_many_attempts"])
def create_token(_actor: Any) -> Any:
    inputs = Inputs(json_body())
    email = inputs.text("email", max_length=254)
    password = inputs.text("password", max_length=200)
    inputs.check()
    s = db_session()
    user = authenticate(s, email, password, _client())
    token, expires_at = issue_token(s, user)
    return {"token": token, "expires_at": expires_at.isoformat()}


TOKEN_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"},
    "current": {"type": "boolean", "description": "the token of this request"}}}


@api_bp.get("/tokens")
@api(summary="The caller's tokens that still work, newest first (never their secret)",
     query={"page": {"type": "integer"}, "per_page": {"type": "integer"}},
     response={"type": "object", "properties": {"items": {"type": "array", "items": TOKEN_SCHEMA},
                                                "total": {"type": "integer"}, "page": {"type": "integer"},
                                                "per_page": {"type": "integer"}}})
def list_tokens_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    current = g.api_token.id
    return paginate(db_session(), live_tokens(db_session(), user), page, per_page).as_json(lambda t: {
        "id": t.id, "created_at": t.created_at.isoformat(), "expires_at": t.expires_at.isoformat(),
        "current": t.id == current})


@api_bp.delete("/tokens/current")
@api(summary="Revoke the token of this request: it stops working at once", status=204)
def revoke_current_token_api(user: Any) -> Any:
    revoke_token(db_session(), user, g.api_token.id)
    return current_app.response_class(status=204)


@api_bp.delete("/tokens/<int:token_id>")
@api(summary="Revoke another of the caller's tokens (a lost one)", status=204, errors=["not_found"])
def revoke_token_api(user: Any, token_id: int) -> Any:
    revoke_token(db_session(), user, token_id)
    return current_app.response_class(status=204)


@api_bp.get("/me")
@api(summary="The signed-in user and their organisation")
def me(user: Any) -> Any:
    return {"id": user.id, "email": user.email, "role": user.role.value, "organisation_id": user.organisation_id}


@api_bp.post("/organisations")
@api(summary="Register an enterprise or a provider", public=True, status=201,
     body={"type": "object",
           "required": ["kind", "uscc", "name", "region_code", "established_on", "legal_representative",
                        "contact_name", "email", "password"],
           "properties": {"kind": {"enum": ["enterprise", "provider"]}, "uscc": {"type": "string"},
                          "name": {"type": "string"}, "region_code": {"type": "string", "pattern": "^[0-9]{6}$"},
                          "established_on": {"type": "string", "format": "date"},
                          "legal_representative": {"type": "string"}, "contact_name": {"type": "string"},
                          "contact_phone": {"type": "string"}, "email": {"type": "string", "format": "email"},
                          "password": {"type": "string", "minLength": 10}}},
     response=ORGANISATION_SCHEMA,
     errors=["validation_error", "invalid_uscc", "duplicate_organisation", "blacklisted"])
def register_api(_actor: Any) -> Any:
    org = services.register_organisation(db_session(), services.Registration.from_input(json_body()))
    return organisation_json(org)


@api_bp.get("/organisations")
@api(summary="Organisations, newest first", roles=STAFF,
     query={"q": {"type": "string"}, "kind": {"type": "string"}, "status": {"type": "string"},
            "page": {"type": "integer"}, "per_page": {"type": "integer"}})
def list_organisations_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    result = services.list_organisations(db_session(), q=request.args.get("q"), kind=request.args.get("kind"),
                                         status=request.args.get("status"), page=page, per_page=per_page)
    sanctions = services.sanctions_of(db_session(), [org.id for org in result.items])
    return result.as_json(lambda org: organisation_json(org, sanctions))


@api_bp.get("/organisations/<int:org_id>")
@api(summary="An organisation (its members and staff)", response=ORGANISATION_SCHEMA, errors=["not_found"])
def get_organisation_api(user: Any, org_id: int) -> Any:
    return organisation_json(services.get_organisation(db_session(), user, org_id))


@api_bp.post("/organisations/<int:org_id>/certification")
@api(summary="Upload the certification documents", roles=ORG_ROLES,
     multipart={"type": "object", "required": ["business_licence", "realname_form"],
                "properties": {"business_licence": {"type": "string", "format": "binary"},
                               "realname_form": {"type": "string", "format": "binary"},
                               "contact_id_card": {"type": "string", "format": "binary",
                                                   "description": "enterprises only"}}},
     response=ORGANISATION_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def submit_certification_api(user: Any, org_id: int) -> Any:
    files = {name: (f.stream, f.filename) for name, f in request.files.items()}
    org = services.submit_certification(db_session(), user, org_id, files, current_app.config["UPLOAD_DIR"])
    return organisation_json(org)


@api_bp.post("/organisations/<int:org_id>/review")
@api(summary="Certify or reject an organisation", roles=[OPERATOR],
     body={"type": "object", "required": ["decision"],
           "properties": {"decision": {"enum": ["approve", "reject"]}, "reason": {"type": "string"}}},
     response=ORGANISATION_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def review_organisation_api(user: Any, org_id: int) -> Any:
    data = json_body()
    org = services.review_organisation(db_session(), user, org_id, data.get("decision"), data.get("reason"))
    return organisation_json(org)


@api_bp.post("/organisations/<int:org_id>/affiliations")
@api(summary="Record an affiliation between two organisations (symmetric)", roles=[OPERATOR], status=201,
     body={"type": "object", "required": ["organisation_id", "note"],
           "properties": {"organisation_id": {"type": "integer"}, "note": {"type": "string"}}},
     errors=["validation_error", "not_found"])
def add_affiliation_api(user: Any, org_id: int) -> Any:
    data = json_body()
    affiliation = services.add_affiliation(db_session(), user, org_id, data.get("organisation_id"), data.get("note"))
    return {"id": affiliation.id, "organisation_ids": [affiliation.organisation_low_id, affiliation.organisation_high_id],
            "note": affiliation.note}


@api_bp.post("/organisations/<int:org_id>/suspend")
@api(summary="Suspend an enterprise or a provider, until a date or until it is reinstated: nothing it is party to "
             "moves money meanwhile, its products are off sale and its pending claims are held",
     roles=[OPERATOR],
     body={"type": "object", "required": ["reason"],
           "properties": {"reason": {"type": "string"},
                          "until": {"type": "string", "format": "date", "description": "the day it ends by itself"}}},
     response=ORGANISATION_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def suspend_organisation_api(user: Any, org_id: int) -> Any:
    return organisation_json(services.suspend_organisation(db_session(), user, org_id, json_body()))


@api_bp.post("/organisations/<int:org_id>/reinstate")
@api(summary="End a suspension", roles=[OPERATOR],
     body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
     response=ORGANISATION_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def reinstate_organisation_api(user: Any, org_id: int) -> Any:
    return organisation_json(services.reinstate_organisation(db_session(), user, org_id, json_body()))


@api_bp.get("/audit")
@api(summary="The audit trail, newest first: by subject, by actor (e-mail, user number or system) and by day",
     roles=STAFF,
     query={"subject_type": {"type": "string", "enum": list(SUBJECT_TYPES)}, "subject_id": {"type": "integer"},
            "actor": {"type": "string"}, "since": {"type": "string", "format": "date"},
            "until": {"type": "string", "format": "date"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}},
     errors=["validation_error"])
def audit_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    s = db_session()
    result = paginate(s, services.audit_query(s, services.read_audit_filter(request.args)), page, per_page)
    return result.as_json(lambda e: {
        "id": e.id, "at": e.at.isoformat(), "actor_id": e.actor_id, "actor": e.actor_label,
        "subject_type": e.subject_type, "subject_id": e.subject_id, "action": e.action,
        "before": e.before, "after": e.after, "hash": e.hash,
    })


CHECKPOINT_SCHEMA = {
    "type": "object",
    "required": ["entries", "head_hash", "keyed_from", "created_at", "signature"],
    "properties": {
        "entries": {"type": "integer", "description": "entries in the trail when it was signed (the head's id)"},
        "head_hash": {"type": "string", "description": "the hash of the last of them"},
        "keyed_from": {"type": "integer", "description": "the first entry hashed with the key (earlier ones "
                                                         "predate it and keep a plain SHA-256)"},
        "created_at": {"type": "string", "format": "date-time"},
        "signature": {"type": "string", "description": "HMAC-SHA256 with the platform's audit key (docs/reliability.md)"},
    },
}


@api_bp.get("/audit/checkpoints")
@api(summary="Signed checkpoints of the audit trail's hash chain, newest first: keep a copy, a later trail "
             "must still reproduce it", public=True,
     query={"page": {"type": "integer"}, "per_page": {"type": "integer"}},
     response={"type": "object", "properties": {"items": {"type": "array", "items": CHECKPOINT_SCHEMA},
                                                "total": {"type": "integer"}, "page": {"type": "integer"},
                                                "per_page": {"type": "integer"}}})
def audit_checkpoints_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())
    return paginate(db_session(), query, page, per_page).as_json(AuditCheckpoint.as_json)


@api_bp.get("/audit/verification")
@api(summary="Recompute the audit trail's hash chain", roles=STAFF)
def audit_verification_api(_actor: Any) -> Any:
    report = verify_chain(db_session())
    return {"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id, "problem": report.problem}
