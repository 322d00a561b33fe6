"""Pages of oversight: the dashboard and its report, provider scorecards, the public notice with
objections, complaints (the ``/api/v1`` routes are ``oversight.api``). Parse with the commands, call
a use case, render; a page asks ``can(action)`` of the state tables rather than comparing statuses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for

from oversight import complaints as complaint_cases
from oversight import notices as notice_cases
from oversight import reports
from oversight import scope as report_scope
from oversight import scorecards as scorecard_figures
from oversight.commands import (
    AnswerInput,
    ComplaintFilter,
    ComplaintInput,
    NoticeFilter,
    ObjectionFilter,
    ObjectionInput,
    ReplyInput,
    ReportFilter,
    ResolutionInput,
)
from oversight.exports import xlsx_response
from oversight.rules import format_per_mille, split_duration
from oversight.states import COMPLAINT, OBJECTION, ComplaintKind, ComplaintStatus, NoticeKind
from shop import audit, clock
from shop.charts import Series, bar_chart, hbar_chart, line_chart
from shop.errors import DomainError
from shop.i18n import _
from shop.labels import label
from shop.money import format_fen
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, public, roles_required, signed_in
from wallet import policies

bp = Blueprint("oversight", __name__, template_folder="templates")

STAFF = (Role.OPERATOR, Role.AUTHORITY)
PARTIES = (Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR, Role.AUTHORITY)


# -- the dashboard ------------------------------------------------------------------------------------


def _charts(report: reports.ProgrammeReport) -> dict[str, Any]:
    b = report.budget
    budget_labels = [_("Granted"), _("In orders"), _("Claimed"), _("Disbursed"), _("Expired")]
    charts: dict[str, Any] = {
        "budget": bar_chart(
            [str(x) for x in budget_labels],
            [
                Series(
                    str(_("Vouchers")), [b.granted_fen, b.in_orders_fen, b.claimed_fen, b.disbursed_fen, b.expired_fen]
                )
            ],
            title=str(_("Where the year's vouchers are")),
            fmt=format_fen,
            height=240,
        ),
        "layers": hbar_chart(
            [str(label(r.layer)) for r in report.vouchers_by_layer],
            [Series(str(_("Vouchers")), [r.voucher_fen for r in report.vouchers_by_layer])],
            title=str(_("Vouchers by layer")),
            fmt=format_fen,
        ),
        "categories": hbar_chart(
            [str(label(r.category)) for r in report.vouchers_by_category],
            [Series(str(_("Vouchers")), [r.voucher_fen for r in report.vouchers_by_category])],
            title=str(_("Vouchers by category")),
            fmt=format_fen,
            label_width=210,
        ),
    }
    if report.by_city:
        charts["cities"] = hbar_chart(
            [str(r.city) for r in report.by_city],
            [Series(str(_("Granted")), [r.granted_fen for r in report.by_city])],
            title=str(_("Quota granted by city")),
            fmt=format_fen,
        )
    if report.orders_per_week:
        charts["weeks"] = line_chart(
            [w.week_start.strftime("%m-%d") for w in report.orders_per_week],
            [Series(str(_("Orders")), [w.orders for w in report.orders_per_week])],
            title=str(_("Orders per week")),
        )
    dates = sorted({r.settlement_date for r in report.claims_by_settlement_date})
    if dates:
        statuses = [
            s for s in reports.CLAIM_STATUS_ORDER if any(r.status == s.value for r in report.claims_by_settlement_date)
        ]
        table = {(r.settlement_date, r.status): r.voucher_fen for r in report.claims_by_settlement_date}
        charts["claims"] = bar_chart(
            [d.strftime("%Y-%m-%d") for d in dates],
            [Series(str(label(s.value)), [table.get((d, s.value), 0) for d in dates]) for s in statuses],
            title=str(_("Claims by settlement date")),
            fmt=format_fen,
            stacked=True,
        )
    if report.leading_providers:
        charts["providers"] = hbar_chart(
            [r.name for r in report.leading_providers],
            [Series(str(_("Vouchers")), [r.voucher_fen for r in report.leading_providers])],
            title=str(_("Leading providers")),
            fmt=format_fen,
            label_width=250,
        )
    return charts


@bp.get("/oversight")
@roles_required(*STAFF)
def dashboard() -> Any:
    s, asked = db_session(), ReportFilter.from_args(request.args)
    scope = report_scope.choose(s, asked.year, asked.programme, actor().jurisdiction)
    year = scope.year
    report = reports.programme_report(s, year, scope)
    return render_template(
        "oversight/dashboard.html",
        report=report,
        charts=_charts(report),
        year=year,
        years=reports.programme_years(s),
        programme=scope.programme or reports.find_programme(s, year),
        scope=scope,
        programmes=[p for p in policies.list_programmes(s, year=year) if actor().oversees(p.jurisdiction)],
    )


@bp.get("/oversight/report.xlsx")
@roles_required(*STAFF)
def dashboard_xlsx() -> Any:
    s, asked = db_session(), ReportFilter.from_args(request.args)
    scope = report_scope.choose(s, asked.year, asked.programme, actor().jurisdiction)
    return xlsx_response(reports.programme_report(s, scope.year, scope))


@bp.get("/oversight/scorecards")
@roles_required(*STAFF)
def scorecards() -> Any:
    s, where = db_session(), ReportFilter.from_args(request.args)
    year, sort = where.year, where.sort
    cards = scorecard_figures.scorecards(s, year, sort)
    timed = [c for c in cards if c.median_confirm_seconds is not None]
    chart = (
        hbar_chart(
            [c.name for c in timed],
            [Series(str(_("Median time to confirm")), [c.median_confirm_seconds // 60 for c in timed])],
            title=str(_("Median time to confirm")),
            fmt=lambda m: _duration_minutes(m),
            label_width=250,
        )
        if timed
        else None
    )
    return render_template(
        "oversight/scorecards.html",
        cards=cards,
        year=year,
        years=reports.programme_years(s),
        sort=sort,
        chart=chart,
        sorts=list(scorecard_figures.SCORECARD_SORTS),
    )


def _duration_minutes(minutes: int) -> str:
    return duration(minutes * 60)


def duration(seconds: int | None) -> str:
    """``93784`` → ``1 d 2 h 3 min`` for people (the largest two units)."""
    if seconds is None:
        return "—"
    days, hours, minutes = split_duration(seconds)
    if days:
        return str(_("%(d)d d %(h)d h", d=days, h=hours))
    if hours:
        return str(_("%(h)d h %(m)d min", h=hours, m=minutes))
    return str(_("%(m)d min", m=minutes))


# -- the public notice -------------------------------------------------------------------------------------


@bp.get("/notices")
@public
def notices() -> Any:
    s = db_session()
    where = NoticeFilter.from_args(request.args)
    page, per_page = page_args(request.args)
    result = notice_cases.list_notices(s, where, page=page, per_page=per_page)
    return render_template(
        "oversight/notices.html",
        page=result,
        recoveries=notice_cases.recoveries_of(s, [entry for entry, _objections in result.items]),
        kinds=list(NoticeKind),
        years=reports.programme_years(s) or [where.year],
        counts=notice_cases.notice_counts(s, where.year),
        today=clock.today(),
        checkpoints=audit.latest_checkpoints(s),
        view=where.view,
        kind=where.kind.value if where.kind else None,
        year=where.year,
        q=where.q,
    )


def _notice_page(entry_id: int, errors: dict | None = None, status: int = 200) -> Any:
    entry = notice_cases.get_notice(db_session(), entry_id)
    recoveries = notice_cases.recoveries_of(db_session(), [entry]).get(entry.id, [])
    return render_template(
        "oversight/notice.html",
        entry=entry,
        recoveries=recoveries,
        today=clock.today(),
        errors=errors or {},
        form=request.form,
    ), status


@bp.get("/notices/<int:entry_id>")
@public
def notice(entry_id: int) -> Any:
    return _notice_page(entry_id)


@bp.post("/notices/<int:entry_id>/objections")
@signed_in
def lodge_objection(entry_id: int) -> Any:
    try:
        notice_cases.lodge_objection(db_session(), actor(), entry_id, ObjectionInput.from_input(request.form))
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _notice_page(entry_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("Your objection is recorded. The operator will answer it here."), "success")
    return redirect(url_for("oversight.notice", entry_id=entry_id))


def _objections_page(errors: dict | None = None, status: int = 200) -> Any:
    page, per_page = page_args(request.args)
    where = ObjectionFilter.from_args(request.args)
    result = notice_cases.list_objections(db_session(), actor(), where, page=page, per_page=per_page)
    return render_template(
        "oversight/objections.html",
        page=result,
        selected=where.status,
        errors=errors or {},
        form=request.form,
        today=clock.today(),
        can=lambda objection, action: OBJECTION.can(objection.status, action),
    ), status


@bp.get("/staff/objections")
@roles_required(*STAFF)
def objections() -> Any:
    return _objections_page()


@bp.post("/operator/objections/<int:objection_id>/answer")
@roles_required(Role.OPERATOR)
def answer_objection(objection_id: int) -> Any:
    try:
        notice_cases.answer_objection(db_session(), actor(), objection_id, AnswerInput.from_input(request.form))
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _objections_page(
            errors={str(objection_id): error.errors.get("answer", [error.detail])}, status=error.status
        )
    flash(_("Your answer is published with the objection."), "success")
    return redirect(url_for("oversight.objections"))


# -- complaints -------------------------------------------------------------------------------------------


@bp.get("/complaints")
@roles_required(*PARTIES)
def complaints() -> Any:
    s = db_session()
    page, per_page = page_args(request.args)
    where = ComplaintFilter.from_args(request.args, strict=False)
    result = complaint_cases.list_complaints(s, actor(), where, page=page, per_page=per_page)
    return render_template(
        "oversight/complaints.html",
        page=result,
        selected=where.status,
        statuses=list(ComplaintStatus),
        counts=complaint_cases.complaint_counts(s, actor()),
    )


def _complaint_form(errors: dict | None = None, status: int = 200, form: Any = None) -> Any:
    orders = complaint_cases.complainable_orders(db_session(), actor())
    return render_template(
        "oversight/complaint_form.html",
        orders=orders,
        kind_options=[(k.value, label(k)) for k in ComplaintKind],
        errors=errors or {},
        form=form if form is not None else request.form,
    ), status


@bp.get("/complaints/new")
@roles_required(Role.ENTERPRISE)
def new_complaint() -> Any:
    return _complaint_form(form={"order_id": request.args.get("order_id", "")})


@bp.post("/complaints")
@roles_required(Role.ENTERPRISE)
def file_complaint() -> Any:
    try:
        complaint = complaint_cases.file_complaint(db_session(), actor(), ComplaintInput.from_input(request.form))
    except DomainError as error:
        return _complaint_form(errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("Your complaint is filed. The operator and the provider see it and answer here."), "success")
    return redirect(url_for("oversight.complaint", complaint_id=complaint.id))


def _complaint_page(complaint_id: int, errors: dict | None = None, status: int = 200) -> Any:
    s = db_session()
    item = complaint_cases.get_complaint(s, actor(), complaint_id)
    return render_template(
        "oversight/complaint.html",
        complaint=item,
        timeline=audit.history(s, "complaint", item.id),
        can=lambda action: COMPLAINT.can(item.status, action),
        errors=errors or {},
        form=request.form,
    ), status


@bp.get("/complaints/<int:complaint_id>")
@roles_required(*PARTIES)
def complaint(complaint_id: int) -> Any:
    return _complaint_page(complaint_id)


def _act_on_complaint(complaint_id: int, action: Any, done: str) -> Any:
    try:
        action()
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _complaint_page(complaint_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(done, "success")
    return redirect(url_for("oversight.complaint", complaint_id=complaint_id))


@bp.post("/complaints/<int:complaint_id>/replies")
@roles_required(Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR)
def reply(complaint_id: int) -> Any:
    return _act_on_complaint(
        complaint_id,
        lambda: complaint_cases.reply_to_complaint(
            db_session(), actor(), complaint_id, ReplyInput.from_input(request.form)
        ),
        _("Your message is added; both parties and the operator see it."),
    )


@bp.post("/complaints/<int:complaint_id>/take-up")
@roles_required(Role.OPERATOR)
def take_up(complaint_id: int) -> Any:
    return _act_on_complaint(
        complaint_id,
        lambda: complaint_cases.take_up_complaint(db_session(), actor(), complaint_id),
        _("You are handling this complaint."),
    )


@bp.post("/complaints/<int:complaint_id>/resolve")
@roles_required(Role.OPERATOR)
def resolve(complaint_id: int) -> Any:
    return _act_on_complaint(
        complaint_id,
        lambda: complaint_cases.resolve_complaint(
            db_session(), actor(), complaint_id, ResolutionInput.from_input(request.form)
        ),
        _("The complaint is resolved; both parties read how."),
    )


def init_filters(app: Flask) -> None:
    app.jinja_env.filters.update(duration=duration, per_mille=format_per_mille)
