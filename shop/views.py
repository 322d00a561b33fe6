"""Pages and API of the foundation: home, language, health, sign-in and tokens, the holiday table
and the audit trail. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from shop import LANGUAGES, nav
from shop.audit import SUBJECT_TYPES, AuditCheckpoint
from shop.audit_chain import checkpoint_page, verify_chain
from shop.audit_search import AuditFilter, audit_query, chain_status, record_chain_verification
from shop.auth import authenticate, end_sessions, issue_token, live_tokens, revoke_token
from shop.calendar import HolidayInput, list_holidays, set_holiday
from shop.calendar import delete_holiday as remove_holiday
from shop.db import ping
from shop.errors import DomainError
from shop.i18n import _, _l
from shop.inputs import Inputs
from shop.openapi import build_openapi
from shop.pagination import page_args, paginate
from shop.states import Role
from shop.web import (
    actor,
    api,
    db_session,
    json_body,
    local_target,
    public,
    render_form,
    roles_required,
    signed_in,
)

bp = Blueprint("shop", __name__)
api_bp = Blueprint("shop_api", __name__, url_prefix="/api/v1")

OPERATOR, AUTHORITY = Role.OPERATOR, Role.AUTHORITY
STAFF = (Role.OPERATOR, Role.AUTHORITY)


def init_nav() -> None:
    """The foundation's entries of the navigation (called by ``create_app``)."""
    nav.add("shop.audit", _l("Audit trail"), {"operator", "authority"}, order=95)


def _client() -> str:
    return request.remote_addr or "unknown"


# -- public pages -------------------------------------------------------------------------------


@bp.get("/")
@public
def home() -> Any:
    return render_template("shop/home.html")


@bp.get("/healthz")
@public
def healthz() -> Any:
    ping(db_session())
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
        return render_template("shop/login.html", errors={}, form={})
    inputs = Inputs(request.form)
    email = inputs.text("email", max_length=254) or ""
    password = inputs.text("password", max_length=200) or ""
    try:
        inputs.check()
        user = authenticate(db_session(), email, password, _client())
    except DomainError as error:
        return render_form("shop/login.html", error)
    login_user(user, remember=False)
    session.permanent = True
    return redirect(local_target(request.args.get("next"), url_for(nav.landing_for(user.role))))


@bp.post("/logout")
@signed_in
def logout() -> Any:
    end_sessions(db_session(), actor())  # a copy of the cookie stops working too
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("shop.home"))


# -- operator and authority -------------------------------------------------------------------------


@bp.route("/operator/holidays", methods=["GET", "POST"])
@roles_required(*STAFF)
def holidays() -> Any:
    s = db_session()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            set_holiday(s, actor(), HolidayInput.from_input(request.form))
            flash(_("The calendar is updated."), "success")
            return redirect(url_for("shop.holidays", year=request.form.get("day", "")[:4]))
        except DomainError as error:
            errors, status = error.errors or {"day": [error.detail]}, error.status
    from shop import clock

    year = Inputs(request.args).year(required=False, default=clock.today().year)
    return render_template(
        "shop/holidays.html",
        holidays=list_holidays(s, year),
        year=year,
        errors=errors,
        form=request.form,
        calendar_knows=clock.calendar_knows(dt.date(year, 6, 1)),
    ), status


@bp.post("/operator/holidays/<day>/delete")
@roles_required(OPERATOR)
def delete_holiday(day: str) -> Any:
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    remove_holiday(db_session(), actor(), parsed)
    flash(_("The entry is removed."), "info")
    return redirect(url_for("shop.holidays", year=parsed.year))


@bp.get("/staff/audit")
@roles_required(*STAFF)
def audit() -> Any:
    page, per_page = page_args(request.args, default_per_page=50)
    s = db_session()
    errors: dict = {}
    try:
        where = AuditFilter.from_args(request.args)
    except DomainError as error:
        errors, where = error.errors, AuditFilter()
    result = paginate(s, audit_query(s, where), page, per_page)
    return render_template(
        "shop/audit.html", page=result, where=where, errors=errors, subject_types=SUBJECT_TYPES, chain=chain_status(s)
    )


@bp.post("/staff/audit/verification")
@roles_required(*STAFF)
def verify_audit_chain() -> Any:
    """Recompute the whole chain on request (in a reading session of its own) and keep the result."""
    from shop.db import one_snapshot, read_only_transactions

    with read_only_transactions(), current_app.extensions["shop.sessions"]() as reader:
        one_snapshot(reader)
        report = verify_chain(reader)
    record_chain_verification(db_session(), actor(), report)
    if report.ok:
        flash(_("The hash chain is intact: %(n)d entries checked.", n=report.checked), "success")
    else:
        flash(
            _("The hash chain is broken at entry %(id)s: %(problem)s", id=report.broken_id, problem=report.problem),
            "error",
        )
    return redirect(url_for("shop.audit"))


# -- the API ------------------------------------------------------------------------------------------


@api_bp.get("/openapi.json")
@api(summary="This document", public=True)
def openapi(_actor: Any) -> Any:
    return build_openapi(current_app)


@api_bp.post("/tokens")
@api(
    summary="Exchange an e-mail and a password for a bearer token",
    public=True,
    status=201,
    body={
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
    },
    response={
        "type": "object",
        "properties": {"token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}},
    },
    errors=["validation_error", "unauthorized", "too_many_attempts"],
)
def create_token(_actor: Any) -> Any:
    inputs = Inputs(json_body())
    email = inputs.text("email", max_length=254)
    password = inputs.text("password", max_length=200)
    inputs.check()
    s = db_session()
    user = authenticate(s, email, password, _client())
    token, expires_at = issue_token(s, user)
    return {"token": token, "expires_at": expires_at.isoformat()}


TOKEN_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "current": {"type": "boolean", "description": "the token of this request"},
    },
}


@api_bp.get("/tokens")
@api(
    summary="The caller's tokens that still work, newest first (never their secret)",
    query={"page": {"type": "integer"}, "per_page": {"type": "integer"}},
    response={
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": TOKEN_SCHEMA},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
)
def list_tokens_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    current = g.api_token.id
    return paginate(db_session(), live_tokens(db_session(), user), page, per_page).as_json(
        lambda t: {
            "id": t.id,
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat(),
            "current": t.id == current,
        }
    )


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
@api(summary="The signed-in user, their organisation and (staff) their jurisdiction, null for the whole platform")
def me(user: Any) -> Any:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "organisation_id": user.organisation_id,
        "jurisdiction": user.jurisdiction,
    }


@api_bp.get("/audit")
@api(
    summary="The audit trail, newest first: by subject, by actor (e-mail, user number or system) and by day",
    roles=STAFF,
    query={
        "subject_type": {"type": "string", "enum": list(SUBJECT_TYPES)},
        "subject_id": {"type": "integer"},
        "actor": {"type": "string"},
        "since": {"type": "string", "format": "date"},
        "until": {"type": "string", "format": "date"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
    },
    errors=["validation_error"],
)
def audit_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    s = db_session()
    result = paginate(s, audit_query(s, AuditFilter.from_args(request.args)), page, per_page)
    return result.as_json(
        lambda e: {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor_id": e.actor_id,
            "actor": e.actor_label,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "action": e.action,
            "before": e.before,
            "after": e.after,
            "hash": e.hash,
        }
    )


CHECKPOINT_SCHEMA = {
    "type": "object",
    "required": ["entries", "head_hash", "keyed_from", "created_at", "signature"],
    "properties": {
        "entries": {"type": "integer", "description": "entries in the trail when it was signed (the head's id)"},
        "head_hash": {"type": "string", "description": "the hash of the last of them"},
        "keyed_from": {
            "type": "integer",
            "description": "the first entry hashed with the key (earlier ones predate it and keep a plain SHA-256)",
        },
        "created_at": {"type": "string", "format": "date-time"},
        "signature": {
            "type": "string",
            "description": "HMAC-SHA256 with the platform's audit key (docs/reliability.md)",
        },
    },
}


@api_bp.get("/audit/checkpoints")
@api(
    summary="Signed checkpoints of the audit trail's hash chain, newest first: keep a copy, a later trail "
    "must still reproduce it",
    public=True,
    query={"page": {"type": "integer"}, "per_page": {"type": "integer"}},
    response={
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": CHECKPOINT_SCHEMA},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
)
def audit_checkpoints_api(_actor: Any) -> Any:
    page, per_page = page_args(request.args)
    return checkpoint_page(db_session(), page, per_page).as_json(AuditCheckpoint.as_json)


@api_bp.get("/audit/verification")
@api(summary="Recompute the audit trail's hash chain", roles=STAFF)
def audit_verification_api(_actor: Any) -> Any:
    report = verify_chain(db_session())
    return {"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id, "problem": report.problem}
