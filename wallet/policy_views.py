"""Pages of programmes from a preset (issue 13): the authority creates one from a preset and adjusts
its policy; anyone signed in reads a programme by its code, its policy in words and its versions.
Thin: parse, call ``wallet.policies``, render. The Guizhou year pages are ``wallet.views``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from shop.accounts import User
from shop.errors import DomainError, ValidationError
from shop.i18n import _
from shop.inputs import ReasonInput
from shop.preset_list import PRESETS
from shop.states import Role
from shop.web import actor, db_session, roles_required, signed_in
from wallet import grants, policies, programmes, versions
from wallet.commands import ProgrammeSpec
from wallet.models import Programme
from wallet.policy_form import field_errors, figures, form_of, grouped, overrides_from_form
from wallet.policy_words import changes, describe

bp = Blueprint("policies", __name__, template_folder="templates")


def _preset_key() -> str:
    """The preset the form is for: the one asked for when it runs, else the first that runs."""
    asked = request.values.get("preset", "")
    if asked in PRESETS and PRESETS[asked].available:
        return asked
    return next(key for key, p in PRESETS.items() if p.available)


def _render_new(key: str, form: Any, errors: dict, status: int = 200) -> Any:
    preset = PRESETS[key]
    return render_template(
        "wallet/programme_new.html",
        presets=PRESETS,
        preset=preset,
        groups=grouped(figures(preset.rules)),
        words=describe(preset.rules),
        form=form,
        errors=errors,
    ), status


@bp.route("/authority/programmes/from-preset", methods=["GET", "POST"])
@roles_required(Role.AUTHORITY)
def new_programme() -> Any:
    key = _preset_key()
    preset = PRESETS[key]
    if request.method == "GET":
        me = actor()
        form = {"preset": key, "title": preset.rules.title, "jurisdiction": me.jurisdiction or ""}
        return _render_new(key, {**form, **form_of(preset.rules)}, {})
    try:
        overrides = overrides_from_form(request.form, preset.rules)
        data = request.form.copy()  # a form still: the settlement dates are one field, comma-separated
        data["preset"], data["overrides"] = key, overrides
        spec = ProgrammeSpec.from_input(data)
        programme = policies.create_from_preset(db_session(), actor(), spec)
    except DomainError as error:
        errors = field_errors(error)
        if error.code == "forbidden":
            errors = {"jurisdiction": [_("You act for jurisdiction %(j)s only.", j=actor().jurisdiction or "—")]}
        return _render_new(key, request.form, errors, error.status)
    flash(_("The programme %(code)s is set.", code=programme.code), "success")
    return redirect(url_for("policies.programme", code=programme.code))


def _may_adjust(user: User | None, programme: Programme) -> bool:
    return user is not None and user.role == Role.AUTHORITY and user.oversees(programme.jurisdiction)


def _render_programme(programme: Programme, form: Any = None, errors: dict | None = None, status: int = 200) -> Any:
    s = db_session()
    rules = versions.rules_of(s, programme)
    preset_rules = PRESETS[programme.preset].rules
    history = versions.history(s, programme.id)
    authors = dict(s.execute(select(User.id, User.email).where(User.id.in_({v.created_by_id for v in history}))).all())
    rows = []
    for i, version in enumerate(history):
        before = history[i + 1].rules if i + 1 < len(history) else preset_rules.as_dict()
        rows.append((version, authors.get(version.created_by_id), changes(before, version.rules, rules)))
    return render_template(
        "wallet/programme_policy.html",
        programme=programme,
        preset=PRESETS[programme.preset],
        words=describe(rules),
        history=rows,
        remaining_fen=programmes.programme_figures(s, programme).remaining_fen,  # its blocks included
        may_adjust=_may_adjust(actor(), programme),
        groups=grouped(figures(rules)),
        form=form if form is not None else form_of(rules),
        errors=errors or {},
    ), status


@bp.get("/programmes/<code>")
@signed_in
def programme(code: str) -> Any:
    return _render_programme(grants.get_by_code(db_session(), code))


@bp.post("/programmes/<code>/policy")
@roles_required(Role.AUTHORITY)
def adjust_policy(code: str) -> Any:
    s = db_session()
    programme = grants.get_by_code(s, code)
    preset_rules = PRESETS[programme.preset].rules
    try:
        overrides, reason = _adjustment(preset_rules, versions.current(s, programme).overrides)
        version = policies.change_policy(s, actor(), code, overrides, reason)
    except DomainError as error:
        s.rollback()
        return _render_programme(grants.get_by_code(s, code), request.form, field_errors(error), error.status)
    flash(_("Version %(n)d of the policy is in force.", n=version.number), "success")
    return redirect(url_for("policies.programme", code=code) + "#history")


def _adjustment(preset_rules: Any, kept: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The figures and the reason of the "adjust the policy" form, every fault of both at once."""
    errors: dict[str, list] = {}
    overrides: dict[str, Any] = {}
    reason = None
    try:
        overrides = overrides_from_form(request.form, preset_rules, kept)
    except ValidationError as error:
        errors.update(error.errors)
    try:
        reason = ReasonInput.from_input(request.form).reason
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    return overrides, reason or ""
