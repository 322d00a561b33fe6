"""Pages of programmes as policy for the enterprise and anyone who asks for a 复核: the programmes open
to an enterprise with a form per scheme asking the facts its cap depends on, its applications and
wallets in every programme (completing one returned to it), and the 复核 request on a grant in its
notice. The operator's pages are ``wallet.grant_review_views``, the evidence of the facts
``wallet.document_views`` (both on this blueprint); the API is
``wallet.api`` and ``wallet.policy_api``. Thin: parse, call a service, render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import NotFound as HTTPNotFound

from orgs.rules import lookup_region
from shop import clock, panels
from shop.errors import DomainError, ValidationError
from shop.i18n import _, _l
from shop.inputs import Inputs
from shop.labels import label
from shop.money import fen_to_yuan_text, format_fen
from shop.presets import ENTERPRISE_CLASSES, FACTS, Scheme
from shop.states import Role
from shop.web import actor, db_session, roles_required, signed_in
from wallet import grant_reading, grant_upkeep, grants, reconsiderations, versions
from wallet.commands import GrantRequest
from wallet.models import QuotaApplication
from wallet.rules import scheme_cap
from wallet.states import QUOTA_APPLICATION

bp = Blueprint("grants", __name__, template_folder="templates")

# the facts a scheme may ask, in the words of the form (amounts are typed in yuan: ``last_year_tax``)
FACT_WORDS = {
    "last_year_tax_fen": _l("Taxes paid last year"),
    "main_revenue_fen": _l("Main business revenue last year"),
    "employees": _l("Employees"),
    "packages": _l("Packages"),
    "seats": _l("Seats per package"),
    "certificates": _l("Certificates"),
    "enterprise_class": _l("Enterprise class"),
    "project": _l("Project"),
    "other": _l("Other evidence"),
}
CLASS_WORDS = {
    "sishang": _l("“四上” enterprise (above designated size)"),
    "headquarters": _l("Headquarters enterprise"),
    "new_investment": _l("Newly settled enterprise"),
    "other": _l("Other enterprise"),
}
# Baiyun 第十一条(四): 制造企业诊断服务 (the scheme's cap) or 智能车间数字化服务 (its higher tier)
PROJECT_WORDS = {"diagnosis": _l("Diagnosis of a manufacturer"), "workshop": _l("Digitalisation of a smart workshop")}
CERTIFICATE_WORDS = {"lianghua": _l("两化融合 management system certificate")}
RECONSIDERATION_WORDS = {
    "requested": _l("Waiting to be accepted"),
    "accepted": _l("Accepted, to be decided"),
    "refused": _l("Refused: not accepted"),
    "upheld": _l("Upheld: grant cancelled"),
    "dismissed": _l("Dismissed"),
}


def form_name(fact: str) -> str:
    """The form field of a fact: amounts without ``_fen`` (typed in yuan)."""
    return fact.removesuffix("_fen")


def fact_value(fact: str, value: Any) -> Any:
    """A declared fact in words for people."""
    if value is None:
        return ""
    if fact.endswith("_fen"):
        return format_fen(value)
    words = {"enterprise_class": CLASS_WORDS, "project": PROJECT_WORDS}.get(fact)
    if words:
        return words.get(value, value)
    if fact == "certificates":
        return str(_(", ")).join(str(CERTIFICATE_WORDS.get(v, v)) for v in value)
    if fact == "seats":
        return _("%(n)s seats", n=value)
    return value


def fact_choices(scheme: Scheme, fact: str) -> list[tuple[str, Any]] | None:
    """The options of a fact asked with a select (None: typed)."""
    if fact == "seats":
        return [(size, _("%(n)s seats", n=size)) for size in sorted(scheme.package_price_fen, key=int)]
    if fact == "enterprise_class":
        return [(key, CLASS_WORDS[key]) for key in ENTERPRISE_CLASSES]
    if fact == "project":
        return list(PROJECT_WORDS.items())
    if fact == "certificates":
        return list(CERTIFICATE_WORDS.items())
    return None


def facts_from_form(form: Mapping[str, Any], scheme: Scheme) -> dict[str, Any]:
    """The facts the scheme asks, read from its form (amounts in yuan); checked by ``GrantRequest`` and
    the scheme's cap. A fact left empty is left out, so that the scheme says it needs it."""
    inputs = Inputs(form)
    facts: dict[str, Any] = {}
    for fact in scheme.asked_facts:
        if fact.endswith("_fen"):
            value = inputs.fen(fact, required=False)
        elif FACTS.get(fact) is list:
            value = [v for v in form.getlist(fact) if v] if hasattr(form, "getlist") else form.get(fact)
        else:
            value = (form.get(fact) or "").strip() or None
        if value not in (None, "", []):
            facts[fact] = value
    inputs.check()
    return facts


def form_errors(error: DomainError) -> dict[str, list]:
    """A refusal's messages by the form's field names (``facts.packages`` → ``packages``,
    ``facts.last_year_tax_fen`` → ``last_year_tax``); the rest under ``_`` (above the form)."""
    out: dict[str, list] = {}
    for key, messages in (error.errors or {"_": [error.detail]}).items():
        name = form_name(key.removeprefix("facts."))
        if key.startswith("facts.") or name in {form_name(f) for f in FACTS}:
            out.setdefault(name, []).extend(messages)
        else:
            out.setdefault("_", []).extend(messages)
    return out


def form_values(facts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Declared facts as the form shows them (amounts in yuan)."""
    return {
        form_name(k): fen_to_yuan_text(v) if k.endswith("_fen") and isinstance(v, int) else v
        for k, v in (facts or {}).items()
    }


# -- the programmes open to the enterprise ------------------------------------------------------------


def _programmes_page(failed: str | None = None, errors: dict | None = None, status: int = 200, **extra: Any) -> Any:
    s = db_session()
    org = current_user.organisation
    offers = grant_reading.open_programmes(s, org, clock.today())
    shown = {f"{o.programme.code}/{scheme.key}" for o in offers for scheme in o.schemes}
    return render_template(
        "wallet/grants/programmes.html",
        offers=offers,
        # a refusal for a scheme the page does not offer (another district's programme) is shown on top
        refused=(errors or {}).get("_") if failed and failed not in shown else None,
        org=org,
        failed=failed,
        errors=errors or {},
        form=request.form if failed else {},
        **extra,
    ), status


@bp.get("/wallet/programmes")
@roles_required(Role.ENTERPRISE)
def programmes() -> Any:
    return _programmes_page()


@bp.post("/wallet/programmes/<string(maxlength=40):code>/<string(maxlength=40):scheme_key>")
@roles_required(Role.ENTERPRISE)
def apply(code: str, scheme_key: str) -> Any:
    s = db_session()
    programme = grants.get_by_code(s, code)
    scheme = versions.rules_of(s, programme).scheme(scheme_key)
    if scheme is None:
        raise HTTPNotFound()
    key = f"{code}/{scheme_key}"
    try:
        facts = facts_from_form(request.form, scheme)
        wanted = GrantRequest.from_input({"programme": code, "scheme": scheme_key, "facts": facts})
        if request.form.get("preview"):
            # the cap these facts give, nothing applied for (the page works without JavaScript)
            cap, problems = scheme_cap(scheme, wanted.facts)
            if problems:
                raise ValidationError(problems)
            return _programmes_page(key, {}, preview={key: cap})
        application = grants.apply(s, actor(), code, scheme_key, wanted.facts)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _programmes_page(key, form_errors(error), error.status)
    flash(
        _(
            "Your application for %(scheme)s is received: %(amount)s is reserved for you until it is decided.",
            scheme=scheme.title,
            amount=format_fen(application.reserved_fen),
        ),
        "success",
    )
    return redirect(url_for("grants.my_wallets", _anchor=f"application-{application.id}"))


# -- the enterprise's wallets in every programme --------------------------------------------------------


def _wallets_page(failed: int | str | None = None, errors: dict | None = None, status: int = 200) -> Any:
    rows = grant_reading.grant_rows(db_session(), current_user.organisation_id)
    return render_template(
        "wallet/grants/wallets.html",
        rows=rows,
        can=lambda application, action: QUOTA_APPLICATION.can(application.status, action),
        failed=failed,
        errors=errors or {},
        form=request.form if failed else {},
        today=clock.today(),
        # the province-wide programme's wallet page, for an enterprise that has applied to it
        has_year_wallet=any(row.application.programme.book == str(row.application.year) for row in rows),
    ), status


@bp.get("/wallets")
@roles_required(Role.ENTERPRISE)
def my_wallets() -> Any:
    return _wallets_page()


@bp.post("/wallets/<int:application_id>/complete")
@roles_required(Role.ENTERPRISE)
def complete(application_id: int) -> Any:
    s = db_session()
    application = _own(application_id)
    _book, rules = grants.application_book(s, application)
    scheme = rules.scheme(application.scheme)
    try:
        facts = facts_from_form(request.form, scheme) if scheme else {}
        wanted = GrantRequest.from_input({"facts": facts})
        grant_upkeep.complete(s, actor(), application_id, wanted.facts)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _wallets_page(application_id, form_errors(error), error.status)
    flash(_("Your application is completed and back with the reviewer."), "success")
    return redirect(url_for("grants.my_wallets", _anchor=f"application-{application_id}"))


def _own(application_id: int) -> QuotaApplication:
    """The enterprise's own application; another's is not found."""
    application = db_session().get(QuotaApplication, application_id)
    if application is None or not current_user.belongs_to(application.organisation_id):
        raise HTTPNotFound()
    return application


# -- 复核: anyone signed in may ask during a grant's notice -------------------------------------------


def _reconsideration_page(application_id: int, errors: dict | None = None, status: int = 200) -> Any:
    s = db_session()
    application = s.get(QuotaApplication, application_id)
    if application is None or not grant_reading.published(application):
        raise HTTPNotFound()  # only what the public notice shows
    _book, rules = grants.application_book(s, application)
    return render_template(
        "wallet/grants/reconsideration.html",
        application=application,
        scheme=rules.scheme(application.scheme),
        rules=rules,
        ends_on=grant_reading.reconsideration_ends_on(s, application, clock.today()),
        takes_effect_on=grants.takes_effect_on(s, application, rules),
        errors=errors or {},
        form=request.form,
    ), status


@bp.get("/quota-applications/<int:application_id>/reconsideration")
@signed_in
def reconsideration(application_id: int) -> Any:
    return _reconsideration_page(application_id)


@bp.post("/quota-applications/<int:application_id>/reconsideration")
@signed_in
def request_reconsideration(application_id: int) -> Any:
    inputs = Inputs(request.form)
    reason = inputs.reason(min_length=2)
    try:
        inputs.check()
        item = reconsiderations.request(db_session(), actor(), application_id, reason)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _reconsideration_page(application_id, error.errors or {"_": [error.detail]}, error.status)
    flash(
        _(
            "Your 复核 request is recorded: the grant is held. The operator accepts it or not by %(day)s.",
            day=item.accept_by.isoformat(),
        ),
        "success",
    )
    return redirect(url_for("grants.reconsideration", application_id=application_id))


def init_app(app: Flask) -> None:
    """What the other pages show of programmes as policy: the wallets on the wallet page, the 复核
    link on a grant's public notice (the panel ``notice_entry``)."""
    from wallet import document_views, grant_review_views  # noqa: F401 (more routes on ``bp``)

    app.register_blueprint(bp)
    panels.add("notice_entry", "wallet/grants/_notice_reconsideration.html")
    app.jinja_env.filters["jurisdiction"] = jurisdiction_name
    app.jinja_env.globals.update(
        grant_rows=lambda: grant_reading.grant_rows(db_session(), current_user.organisation_id),
        reconsideration_ends_on=_reconsideration_ends_on,
        fact_words=FACT_WORDS,
        fact_value=fact_value,
        fact_choices=fact_choices,
        form_values=form_values,
        scheme_title=_scheme_title,
        category_words=lambda keys: str(_(", ")).join(str(label(k)) for k in keys),
        reconsideration_words=RECONSIDERATION_WORDS,
    )


def _scheme_title(application: QuotaApplication) -> str:
    scheme = versions.rules_of(db_session(), application.programme, application.policy_version).scheme(
        application.scheme
    )
    return scheme.title if scheme else application.scheme


def jurisdiction_name(code: str) -> str:
    """A division code prefix in words (52 → 贵州省, 440111 → 广东省广州市白云区)."""
    region = lookup_region((code or "").ljust(6, "0"))
    return region.name if region else code


def _reconsideration_ends_on(application_id: int) -> Any:
    s = db_session()
    application = s.get(QuotaApplication, application_id)
    return application and grant_reading.reconsideration_ends_on(s, application, clock.today())
