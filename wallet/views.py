"""Pages of the programme, quota applications and wallets; the API is ``wallet.api``. Thin: parse, call a
service, render."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from shop import clock, exports, policy
from shop.charts import Series, line_chart
from shop.errors import DomainError
from shop.exports import Money
from shop.i18n import _, _l
from shop.inputs import Decision, Inputs
from shop.labels import label
from shop.money import fen_to_yuan_text, format_fen
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, roles_required, signed_in
from wallet import policies, services
from wallet.commands import ProgrammeInput, QuotaRequest
from wallet.models import Programme, QuotaApplication
from wallet.programmes import (
    create_programme,
    find_programme,
    get_programme,
    grants_over_time,
    programme_figures,
    update_programme,
)
from wallet.states import QUOTA_APPLICATION

bp = Blueprint("wallet", __name__, template_folder="templates")

STAFF = (Role.OPERATOR, Role.AUTHORITY)


def year_arg() -> int:
    """``?year=``, this year when absent; a year the programme cannot have is a validation error."""
    inputs = Inputs(request.args)
    year = inputs.year(required=False, default=clock.today().year)
    inputs.check()
    return year


# -- programme pages ----------------------------------------------------------------------------


@bp.get("/programmes")
@signed_in
def programmes() -> Any:
    return render_template("wallet/programmes.html", programmes=policies.list_programmes(db_session()))


@bp.get("/programmes/<int(max=2147483647):year>")
@signed_in
def programme(year: int) -> Any:
    s = db_session()
    prog = get_programme(s, year)
    figures = programme_figures(s, prog)
    timeline = grants_over_time(s, year)
    chart = (
        line_chart(
            [d.strftime("%m-%d") for d, _, _ in timeline],
            [Series(str(_("Granted so far")), [total for _, _, total in timeline])],
            title=str(_("Vouchers granted over time")),
            fmt=format_fen,
        )
        if timeline
        else None
    )
    return render_template("wallet/programme.html", programme=prog, figures=figures, timeline=timeline, chart=chart)


@bp.route("/authority/programmes/new", methods=["GET", "POST"])
@roles_required(Role.AUTHORITY)
def new_programme() -> Any:
    if request.method == "GET":
        year = clock.today().year + 1
        programme_policy = policy.current()
        return render_template(
            "wallet/programme_form.html",
            errors={},
            programme=None,
            form={
                "year": year,
                "enterprise_cap": fen_to_yuan_text(programme_policy.default_enterprise_cap_fen),
                **{f"ratio_{layer}": ratio for layer, ratio in programme_policy.default_ratios.items()},
            },
        )
    try:
        prog = create_programme(db_session(), actor(), ProgrammeInput.from_input(request.form))
    except DomainError as error:
        return render_template(
            "wallet/programme_form.html", errors=_flat(error), form=request.form, programme=None
        ), error.status
    flash(_("The %(year)d programme is set.", year=prog.year), "success")
    return redirect(url_for("wallet.programme", year=prog.year))


@bp.route("/authority/programmes/<int(max=2147483647):year>/edit", methods=["GET", "POST"])
@roles_required(Role.AUTHORITY)
def edit_programme(year: int) -> Any:
    s = db_session()
    prog = get_programme(s, year)
    if request.method == "GET":
        return render_template("wallet/programme_form.html", errors={}, programme=prog, form=_form_of(prog))
    try:
        update_programme(s, actor(), year, ProgrammeInput.from_input(request.form, year=year))
    except DomainError as error:
        return render_template(
            "wallet/programme_form.html",
            errors=_flat(error),
            form=request.form,
            programme=get_programme(db_session(), year),
        ), error.status
    flash(_("The %(year)d programme is updated.", year=year), "success")
    return redirect(url_for("wallet.programme", year=year))


def can(application: QuotaApplication, action: str) -> bool:
    """What the quota application's table allows now (the templates ask this, not the status)."""
    return QUOTA_APPLICATION.can(application.status, action)


def _flat(error: DomainError) -> dict:
    """Field names as the form spells them (``ratios.platform`` → ``ratio_platform``, amounts in yuan)."""
    out: dict = {}
    for field, messages in (error.errors or {"budget": [error.detail]}).items():
        name = field.replace("ratios.", "ratio_").removesuffix("_fen")
        out.setdefault(name, []).extend(messages)
    return out


def _form_of(prog: Programme) -> dict[str, Any]:
    return {
        "year": prog.year,
        "budget": fen_to_yuan_text(prog.budget_fen),
        "enterprise_cap": fen_to_yuan_text(prog.enterprise_cap_fen),
        "ratio_infrastructure": prog.ratio_infrastructure,
        "ratio_platform": prog.ratio_platform,
        "ratio_application": prog.ratio_application,
        "settlement_dates": ", ".join(d.day.isoformat() for d in prog.settlement_dates),
        "applications_open_on": prog.applications_open_on.isoformat(),
        "applications_close_on": prog.applications_close_on.isoformat(),
    }


# -- the enterprise's wallet --------------------------------------------------------------------


@bp.get("/wallet")
@roles_required(Role.ENTERPRISE)
def my_wallet() -> Any:
    s = db_session()
    year = year_arg()
    org = current_user.organisation
    wallet = services.wallet(s, org.id, year)
    page, per_page = page_args(request.args)
    lines = services.wallet_lines(s, org.id, year, page, per_page)
    programme = find_programme(s, year)
    failures = services.eligibility(s, org, programme, clock.today()) if programme and not wallet.application else []
    return render_template(
        "wallet/wallet.html",
        can=can,
        wallet=wallet,
        lines=lines,
        programme=programme,
        failures=failures,
        year=year,
        org=org,
        entry_label=_entry_label,
    )


@bp.post("/wallet/apply")
@roles_required(Role.ENTERPRISE)
def apply() -> Any:
    try:
        application = services.apply_for_quota(db_session(), actor(), QuotaRequest.from_input(request.form).year)
    except DomainError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("wallet.my_wallet", year=request.form.get("year")))
    flash(
        _(
            "Your application is received: %(amount)s is reserved for you until the operator decides.",
            amount=format_fen(application.reserved_fen),
        ),
        "success",
    )
    return redirect(url_for("wallet.my_wallet", year=application.year))


def _ledger_rows(session: Any, params: dict[str, Any]) -> Any:
    page = 1
    while True:
        chunk = services.wallet_lines(session, params["organisation_id"], params["year"], page, 500)
        for line in chunk.items:
            yield [
                line.at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                str(_entry_label(line.kind)),
                f"{line.ref_type or ''} {line.ref_id or ''}".strip(),
                Money(line.amount_fen),
                Money(line.balance_fen),
            ]
        if not chunk.has_next:
            return
        page += 1


# Streamed by the wallet page's download only (never a background export: the organisation comes
# from the signed-in user, not from the request).
WALLET_LEDGER = exports.Exporter(
    kind="wallet_ledger",
    roles=frozenset({Role.ENTERPRISE}),
    title=lambda p: f"wallet-{p['year']}",
    read_params=dict,
    count=lambda _s, _p: 0,
    header=lambda _p: [_("Time"), _("Movement"), _("Reference"), _("Amount (yuan)"), _("Balance (yuan)")],
    rows=_ledger_rows,
)


@bp.get("/wallet/ledger.csv")
@roles_required(Role.ENTERPRISE)
def wallet_csv() -> Any:
    """Streamed from a reading session of its own (``exports.stream_csv``): the request's session is
    closed before the rows are sent."""
    params = {"year": year_arg(), "organisation_id": current_user.organisation_id}
    rows = exports.stream_csv(current_app.extensions["shop.sessions"], WALLET_LEDGER, params)
    return Response(
        stream_with_context(rows),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={WALLET_LEDGER.title(params)}.csv"},
    )


# A ledger entry's kind in the wallet's words where its key also names something else ("claim" is the
# claims' subject and transition table: the entry is the vouchers claimed by the provider).
ENTRY_WORDS = {"claim": _l("Claimed by the provider")}


def _entry_label(kind: str) -> Any:
    return ENTRY_WORDS.get(kind) or label(kind)


# -- the operator's queue -----------------------------------------------------------------------


@bp.get("/operator/quota-applications")
@roles_required(Role.OPERATOR)
def application_queue() -> Any:
    page, per_page = page_args(request.args, default_per_page=50)
    status = request.args.get("status", "pending")
    return render_template(
        "wallet/queue.html",
        can=can,
        page=services.application_queue(db_session(), actor(), page, per_page, status=status),
        status=status,
        errors={},
    )


@bp.post("/operator/quota-applications/review")
@roles_required(Role.OPERATOR)
def review_applications() -> Any:
    inputs = Inputs(request.form)
    ids = inputs.integers("application_ids", required=False, minimum=1)
    try:
        inputs.check()
        decided = services.review_applications(db_session(), actor(), ids, Decision.from_input(request.form))
    except DomainError as error:
        page, per_page = page_args(request.args, default_per_page=50)
        return render_template(
            "wallet/queue.html",
            can=can,
            page=services.application_queue(db_session(), actor(), page, per_page),
            status="pending",
            errors=error.errors or {"decision": [error.detail]},
            form=request.form,
        ), error.status
    flash(_("%(n)d application(s) decided.", n=len(decided)), "success")
    return redirect(url_for("wallet.application_queue"))
