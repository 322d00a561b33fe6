"""Pages of organisations (第十条–第十四条): registration, an organisation's own page and its
certification documents, the operator's certification queue, organisation pages, sanctions,
affiliations and the blacklist (the ``/api/v1`` routes are ``orgs.api``). Thin: parse, call a
service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from orgs import affiliations as org_affiliations
from orgs import blacklist as org_blacklist
from orgs import sanctions as org_sanctions
from orgs import services
from orgs.commands import (
    AffiliationInput,
    BlacklistInput,
    CertificationDecision,
    OrganisationFilter,
    Registration,
    SuspensionInput,
)
from orgs.rules import region_disagreement
from orgs.states import ORGANISATION, OrgKind, OrgStatus
from shop import clock
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Inputs, ReasonInput
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, public, render_form, roles_required, send_upload, signed_in

bp = Blueprint("orgs", __name__, template_folder="templates")

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
    return render_template("orgs/review_queue.html", page=services.review_queue(db_session(), actor(), page, per_page))


@bp.get("/staff/organisations")
@roles_required(*STAFF)
def organisations() -> Any:
    page, per_page = page_args(request.args)
    result = services.list_organisations(
        db_session(), actor(), OrganisationFilter.from_args(request.args), page, per_page
    )
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
        region_division=region_disagreement(org.uscc, org.region_code),
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
        given = CertificationDecision.from_input(request.form)
        org = services.review_organisation(db_session(), actor(), org_id, given.decision, given.region_note)
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
            org_blacklist.add_to_blacklist(s, actor(), BlacklistInput.from_input(request.form))
            flash(_("The code is on the blacklist."), "success")
            return redirect(url_for("orgs.blacklist"))
        except DomainError as error:
            errors, status = error.errors, error.status
    page, per_page = page_args(request.args)
    return render_template(
        "orgs/blacklist.html",
        page=org_blacklist.list_blacklist(s, page, per_page),
        errors=errors,
        form=request.form if request.method == "POST" else request.args,
    ), status


@bp.post("/operator/blacklist/<int:entry_id>/delete")
@roles_required(OPERATOR)
def delete_blacklist_entry(entry_id: int) -> Any:
    try:
        org_blacklist.remove_from_blacklist(db_session(), actor(), entry_id, ReasonInput.from_input(request.form))
    except DomainError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("orgs.blacklist"))
    flash(_("The code is off the blacklist."), "info")
    return redirect(url_for("orgs.blacklist"))


# -- the public negative list (负面清单) -------------------------------------------------------------------


@bp.get("/negative-list")
@public
def negative_list() -> Any:
    """负面清单: the organisations banned now, with why and until when (no sign-in)."""
    page, per_page = page_args(request.args)
    return render_template("orgs/negative_list.html", page=org_blacklist.negative_list(db_session(), page, per_page))
