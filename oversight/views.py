"""Pages and API of oversight: the dashboard and its report, provider scorecards, the public notice
with objections, complaints. Thin: parse, call a service, render."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from oversight import notices as notice_cases
from oversight import reports
from oversight.models import Complaint, ComplaintReply, NoticeEntry, NoticeObjection
from oversight.rules import format_per_mille
from oversight.states import ComplaintKind, ComplaintStatus, NoticeKind, ObjectionStatus
from shop import audit, clock, exports
from shop.charts import Series, bar_chart, hbar_chart, line_chart
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Inputs
from shop.labels import label
from shop.money import format_fen
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, api, db_session, json_body, public, roles_required, signed_in
from wallet import services as wallet_services
from wallet.models import Programme

bp = Blueprint("oversight", __name__, template_folder="templates")
api_bp = Blueprint("oversight_api", __name__, url_prefix="/api/v1")

STAFF = (Role.OPERATOR, Role.AUTHORITY)
PARTIES = (Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR, Role.AUTHORITY)


def _year_arg() -> int:
    inputs = Inputs(request.args)
    year = inputs.integer("year", required=False, minimum=2000, maximum=2100, default=clock.today().year)
    inputs.check()
    return year


def _years() -> list[int]:
    return list(db_session().scalars(select(Programme.year).order_by(Programme.year.desc())))


# -- the dashboard ------------------------------------------------------------------------------------

def _charts(report: reports.ProgrammeReport) -> dict[str, Any]:
    b = report.budget
    budget_labels = [_("Granted"), _("In orders"), _("Claimed"), _("Disbursed"), _("Expired")]
    charts: dict[str, Any] = {
        "budget": bar_chart([str(x) for x in budget_labels],
                            [Series(str(_("Vouchers")), [b.granted_fen, b.in_orders_fen, b.claimed_fen, b.disbursed_fen,
                                                         b.expired_fen])],
                            title=str(_("Where the year's vouchers are")), fmt=format_fen, height=240),
        "layers": hbar_chart([str(label(r.layer)) for r in report.vouchers_by_layer],
                             [Series(str(_("Vouchers")), [r.voucher_fen for r in report.vouchers_by_layer])],
                             title=str(_("Vouchers by layer")), fmt=format_fen),
        "categories": hbar_chart([str(label(r.category)) for r in report.vouchers_by_category],
                                 [Series(str(_("Vouchers")), [r.voucher_fen for r in report.vouchers_by_category])],
                                 title=str(_("Vouchers by category")), fmt=format_fen, label_width=210),
    }
    if report.by_city:
        charts["cities"] = hbar_chart([str(r.city) for r in report.by_city],
                                      [Series(str(_("Granted")), [r.granted_fen for r in report.by_city])],
                                      title=str(_("Quota granted by city")), fmt=format_fen)
    if report.orders_per_week:
        charts["weeks"] = line_chart([w.week_start.strftime("%m-%d") for w in report.orders_per_week],
                                     [Series(str(_("Orders")), [w.orders for w in report.orders_per_week])],
                                     title=str(_("Orders per week")))
    dates = sorted({r.settlement_date for r in report.claims_by_settlement_date})
    if dates:
        statuses = [s for s in reports.CLAIM_STATUS_ORDER
                    if any(r.status == s.value for r in report.claims_by_settlement_date)]
        table = {(r.settlement_date, r.status): r.voucher_fen for r in report.claims_by_settlement_date}
        charts["claims"] = bar_chart([d.strftime("%Y-%m-%d") for d in dates],
                                     [Series(str(label(s.value)), [table.get((d, s.value), 0) for d in dates])
                                      for s in statuses],
                                     title=str(_("Claims by settlement date")), fmt=format_fen, stacked=True)
    if report.leading_providers:
        charts["providers"] = hbar_chart([r.name for r in report.leading_providers],
                                         [Series(str(_("Vouchers")), [r.voucher_fen for r in report.leading_providers])],
                                         title=str(_("Leading providers")), fmt=format_fen, label_width=250)
    return charts


@bp.get("/oversight")
@roles_required(*STAFF)
def dashboard() -> Any:
    year = _year_arg()
    report = reports.programme_report(db_session(), year)
    programme = db_session().scalars(select(Programme).where(Programme.year == year)).one_or_none()
    return render_template("oversight/dashboard.html", report=report, charts=_charts(report), year=year,
                           years=_years(), programme=programme)


@bp.get("/oversight/report.xlsx")
@roles_required(*STAFF)
def dashboard_xlsx() -> Any:
    year = _year_arg()
    return _xlsx_response(reports.programme_report(db_session(), year))


def _xlsx_response(report: reports.ProgrammeReport) -> Response:
    return Response(reports.report_xlsx(report), mimetype=exports.FORMATS["xlsx"], headers={
        "Content-Disposition": f"attachment; filename=programme-{report.year}.xlsx", "Cache-Control": "private, no-store"})


@bp.get("/oversight/scorecards")
@roles_required(*STAFF)
def scorecards() -> Any:
    year = _year_arg()
    sort = request.args.get("sort") if request.args.get("sort") in reports.SCORECARD_SORTS else "orders"
    cards = reports.scorecards(db_session(), year, sort)
    timed = [c for c in cards if c.median_confirm_seconds is not None]
    chart = hbar_chart([c.name for c in timed],
                       [Series(str(_("Median time to confirm")), [c.median_confirm_seconds // 60 for c in timed])],
                       title=str(_("Median time to confirm")), fmt=lambda m: _duration_minutes(m),
                       label_width=250) if timed else None
    return render_template("oversight/scorecards.html", cards=cards, year=year, years=_years(), sort=sort,
                           chart=chart, sorts=list(reports.SCORECARD_SORTS))


def _duration_minutes(minutes: int) -> str:
    return duration(minutes * 60)


def duration(seconds: int | None) -> str:
    """``93784`` → ``1 d 2 h 3 min`` for people (the largest two units)."""
    from oversight.rules import split_duration
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
    where = notice_cases.read_notice_filter(request.args)
    page, per_page = page_args(request.args)
    result = notice_cases.list_notices(s, page=page, per_page=per_page, **where)
    return render_template("oversight/notices.html", page=result, kinds=list(NoticeKind), years=_years() or [where["year"]],
                           counts=notice_cases.notice_counts(s, where["year"]), today=clock.today(),
                           checkpoints=audit.latest_checkpoints(s), **where)


@bp.get("/notices/<int:entry_id>")
@public
def notice(entry_id: int, errors: dict | None = None, status: int = 200) -> Any:
    entry = notice_cases.get_notice(db_session(), entry_id)
    return render_template("oversight/notice.html", entry=entry, today=clock.today(), errors=errors or {},
                           form=request.form), status


@bp.post("/notices/<int:entry_id>/objections")
@signed_in
def lodge_objection(entry_id: int) -> Any:
    try:
        notice_cases.lodge_objection(db_session(), actor(), entry_id, request.form)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return notice(entry_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("Your objection is recorded. The operator will answer it here."), "success")
    return redirect(url_for("oversight.notice", entry_id=entry_id))


@bp.get("/staff/objections")
@roles_required(*STAFF)
def objections(errors: dict | None = None, status: int = 200) -> Any:
    page, per_page = page_args(request.args)
    state = request.args.get("status") if request.args.get("status") in {s.value for s in ObjectionStatus} else None
    result = notice_cases.list_objections(db_session(), actor(), status=state, page=page, per_page=per_page)
    return render_template("oversight/objections.html", page=result, status=state, errors=errors or {},
                           form=request.form, today=clock.today()), status


@bp.post("/operator/objections/<int:objection_id>/answer")
@roles_required(Role.OPERATOR)
def answer_objection(objection_id: int) -> Any:
    try:
        notice_cases.answer_objection(db_session(), actor(), objection_id, request.form)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return objections(errors={str(objection_id): error.errors.get("answer", [error.detail])}, status=error.status)
    flash(_("Your answer is published with the objection."), "success")
    return redirect(url_for("oversight.objections"))


# -- complaints -------------------------------------------------------------------------------------------

@bp.get("/complaints")
@roles_required(*PARTIES)
def complaints() -> Any:
    s = db_session()
    page, per_page = page_args(request.args)
    status = request.args.get("status") if request.args.get("status") in {c.value for c in ComplaintStatus} else None
    result = notice_cases.list_complaints(s, actor(), status=status, page=page, per_page=per_page)
    return render_template("oversight/complaints.html", page=result, status=status, statuses=list(ComplaintStatus),
                           counts=notice_cases.complaint_counts(s, actor()))


def _complaint_form(errors: dict | None = None, status: int = 200, form: Any = None) -> Any:
    orders = notice_cases.complainable_orders(db_session(), actor())
    return render_template("oversight/complaint_form.html", orders=orders,
                           kind_options=[(k.value, label(k)) for k in ComplaintKind],
                           errors=errors or {}, form=form if form is not None else request.form), status


@bp.get("/complaints/new")
@roles_required(Role.ENTERPRISE)
def new_complaint() -> Any:
    return _complaint_form(form={"order_id": request.args.get("order_id", "")})


@bp.post("/complaints")
@roles_required(Role.ENTERPRISE)
def file_complaint() -> Any:
    try:
        complaint = notice_cases.file_complaint(db_session(), actor(), request.form)
    except DomainError as error:
        return _complaint_form(errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("Your complaint is filed. The operator and the provider see it and answer here."), "success")
    return redirect(url_for("oversight.complaint", complaint_id=complaint.id))


@bp.get("/complaints/<int:complaint_id>")
@roles_required(*PARTIES)
def complaint(complaint_id: int, errors: dict | None = None, status: int = 200) -> Any:
    s = db_session()
    item = notice_cases.get_complaint(s, actor(), complaint_id)
    return render_template("oversight/complaint.html", complaint=item, timeline=notice_cases.complaint_timeline(s, item),
                           errors=errors or {}, form=request.form), status


def _act_on_complaint(complaint_id: int, action: Any, done: str) -> Any:
    try:
        action()
    except DomainError as error:
        if error.code == "not_found":
            raise
        return complaint(complaint_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(done, "success")
    return redirect(url_for("oversight.complaint", complaint_id=complaint_id))


@bp.post("/complaints/<int:complaint_id>/replies")
@roles_required(Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR)
def reply(complaint_id: int) -> Any:
    return _act_on_complaint(complaint_id, lambda: notice_cases.reply_to_complaint(db_session(), actor(), complaint_id,
                                                                               request.form),
                             _("Your message is added; both parties and the operator see it."))


@bp.post("/complaints/<int:complaint_id>/take-up")
@roles_required(Role.OPERATOR)
def take_up(complaint_id: int) -> Any:
    return _act_on_complaint(complaint_id, lambda: notice_cases.take_up_complaint(db_session(), actor(), complaint_id),
                             _("You are handling this complaint."))


@bp.post("/complaints/<int:complaint_id>/resolve")
@roles_required(Role.OPERATOR)
def resolve(complaint_id: int) -> Any:
    return _act_on_complaint(complaint_id, lambda: notice_cases.resolve_complaint(db_session(), actor(), complaint_id,
                                                                              request.form),
                             _("The complaint is resolved; both parties read how."))


# -- the API --------------------------------------------------------------------------------------------------

def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def notice_json(entry: NoticeEntry, *, objections: int | None = None, detail: bool = False) -> dict[str, Any]:
    out = {"id": entry.id, "kind": entry.kind.value, "year": entry.year, "organisation_name": entry.organisation_name,
           "uscc": entry.uscc_masked, "amount_fen": entry.amount_fen, "order_count": entry.order_count,
           "event_on": entry.event_on.isoformat(), "published_on": entry.published_on.isoformat(),
           "notice_ends_on": entry.notice_ends_on.isoformat(), "in_notice": entry.is_in_notice(clock.today())}
    if objections is not None:
        out["objections"] = objections
    if detail:
        out["objections"] = [objection_json(o) for o in entry.objections]
    return out


def objection_json(objection: NoticeObjection, *, staff: bool = False) -> dict[str, Any]:
    """Objections are public with their answers; who lodged one only staff read."""
    out = {"id": objection.id, "notice_id": objection.entry_id, "reason": objection.reason,
           "status": objection.status.value, "lodged_at": _when(objection.lodged_at), "answer": objection.answer,
           "answered_at": _when(objection.answered_at)}
    if staff:
        out["lodged_by"] = objection.lodged_by.email
    return out


def reply_json(reply_: ComplaintReply) -> dict[str, Any]:
    return {"id": reply_.id, "complaint_id": reply_.complaint_id, "party": reply_.party,
            "author": reply_.author.name or reply_.author.email, "body": reply_.body,
            "created_at": _when(reply_.created_at)}


def complaint_json(item: Complaint, *, replies: bool = False) -> dict[str, Any]:
    out = {"id": item.id, "order_id": item.order_id, "enterprise_id": item.enterprise_id,
           "provider_id": item.provider_id, "kind": item.kind.value, "subject": item.subject,
           "description": item.description, "status": item.status.value, "filed_at": _when(item.filed_at),
           "first_response_at": _when(item.first_response_at), "first_response_seconds": item.first_response_seconds,
           "taken_up_at": _when(item.taken_up_at), "resolved_at": _when(item.resolved_at),
           "resolution_seconds": item.resolution_seconds, "resolution": item.resolution}
    if replies:
        out["replies"] = [reply_json(r) for r in item.replies]
    return out


REPLY_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "complaint_id": {"type": "integer"},
    "party": {"enum": ["enterprise", "provider", "operator"]}, "author": {"type": "string"}, "body": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}}}
PAGE_QUERY = {"page": {"type": "integer"}, "per_page": {"type": "integer"}}
NOTICE_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"enum": [k.value for k in NoticeKind]}, "year": {"type": "integer"},
    "organisation_name": {"type": "string"}, "uscc": {"type": "string", "description": "masked: 91520100****2X"},
    "amount_fen": {"type": "integer"}, "order_count": {"type": ["integer", "null"]},
    "event_on": {"type": "string", "format": "date"}, "published_on": {"type": "string", "format": "date"},
    "notice_ends_on": {"type": "string", "format": "date"}, "in_notice": {"type": "boolean"}}}
OBJECTION_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "notice_id": {"type": "integer"}, "reason": {"type": "string"},
    "status": {"enum": [s.value for s in ObjectionStatus]}, "answer": {"type": ["string", "null"]}}}
COMPLAINT_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "order_id": {"type": "integer"}, "enterprise_id": {"type": "integer"},
    "provider_id": {"type": "integer"}, "kind": {"enum": [k.value for k in ComplaintKind]},
    "subject": {"type": "string"}, "description": {"type": "string"},
    "status": {"enum": [s.value for s in ComplaintStatus]},
    "first_response_seconds": {"type": ["integer", "null"]}, "resolution": {"type": ["string", "null"]},
    "replies": {"type": "array", "items": {"type": "object"}}}}


@api_bp.get("/reports/programmes/<int(max=2147483647):year>")
@api(summary="A year's programme figures (budget, vouchers by layer, category and city, orders per week, claims, "
             "leading providers); ?format=xlsx for the spreadsheet", roles=STAFF,
     query={"format": {"enum": ["json", "xlsx"]}}, errors=["validation_error", "not_found"])
def programme_report_api(_user: Any, year: int) -> Any:
    inputs = Inputs(request.args)
    file_format = inputs.choice("format", ["json", "xlsx"], required=False, default="json")
    inputs.check()
    s = db_session()
    wallet_services.get_programme(s, year)        # not_found when the year has none
    report = reports.programme_report(s, year)
    return _xlsx_response(report) if file_format == "xlsx" else report.as_json()


@api_bp.get("/reports/providers")
@api(summary="Provider scorecards of a year: orders, median time to confirm, refund rate, complaints and time "
             "to resolve them, claims rejected", roles=STAFF,
     query={"year": {"type": "integer"}, "sort": {"enum": list(reports.SCORECARD_SORTS)}}, errors=["validation_error"])
def scorecards_api(_user: Any) -> Any:
    year = _year_arg()
    sort = request.args.get("sort") if request.args.get("sort") in reports.SCORECARD_SORTS else "orders"
    cards = reports.scorecards(db_session(), year, sort)
    return {"year": year, "items": [c.as_json() for c in cards], "total": len(cards)}


@api_bp.get("/notices")
@api(summary="The public notice: entries in notice today (view=current) or a year's archive (view=archive)",
     public=True, query={"view": {"enum": ["current", "archive"]}, "kind": {"enum": [k.value for k in NoticeKind]},
                         "year": {"type": "integer"}, "q": {"type": "string"}, **PAGE_QUERY},
     errors=["validation_error"])
def notices_api(_user: Any) -> Any:
    where = notice_cases.read_notice_filter(request.args)
    page, per_page = page_args(request.args)
    result = notice_cases.list_notices(db_session(), page=page, per_page=per_page, **where)
    return result.as_json(lambda row: notice_json(row[0], objections=int(row[1])))


@api_bp.get("/notices/<int:entry_id>")
@api(summary="A notice entry with its objections and answers", public=True, response=NOTICE_SCHEMA,
     errors=["not_found"])
def notice_api(_user: Any, entry_id: int) -> Any:
    return notice_json(notice_cases.get_notice(db_session(), entry_id), detail=True)


@api_bp.post("/notices/<int:entry_id>/objections")
@api(summary="Object to an entry during its notice period, with a reason", status=201,
     body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
     response=OBJECTION_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def lodge_objection_api(user: Any, entry_id: int) -> Any:
    return objection_json(notice_cases.lodge_objection(db_session(), user, entry_id, json_body()))


@api_bp.get("/objections")
@api(summary="Objections to notice entries, open first", roles=STAFF,
     query={"status": {"enum": [s.value for s in ObjectionStatus]}, **PAGE_QUERY})
def objections_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    status = request.args.get("status") if request.args.get("status") in {s.value for s in ObjectionStatus} else None
    result = notice_cases.list_objections(db_session(), user, status=status, page=page, per_page=per_page)
    return result.as_json(lambda o: objection_json(o, staff=True))


@api_bp.post("/objections/<int:objection_id>/answer")
@api(summary="Answer an objection (published with it)", roles=[Role.OPERATOR],
     body={"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}},
     response=OBJECTION_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def answer_objection_api(user: Any, objection_id: int) -> Any:
    return objection_json(notice_cases.answer_objection(db_session(), user, objection_id, json_body()), staff=True)


@api_bp.get("/complaints")
@api(summary="Complaints: the enterprise's own, those about the provider, or every complaint for staff",
     roles=PARTIES, query={"status": {"enum": [s.value for s in ComplaintStatus]}, **PAGE_QUERY},
     errors=["validation_error"])
def complaints_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    status = notice_cases.read_complaint_filter(request.args)
    return notice_cases.list_complaints(db_session(), user, status=status, page=page, per_page=per_page).as_json(complaint_json)


@api_bp.post("/complaints")
@api(summary="Complain about the provider of one of your orders", roles=[Role.ENTERPRISE], status=201,
     body={"type": "object", "required": ["order_id", "kind", "subject", "description"], "properties": {
         "order_id": {"type": "integer"}, "kind": {"enum": [k.value for k in ComplaintKind]},
         "subject": {"type": "string"}, "description": {"type": "string"}}},
     response=COMPLAINT_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def file_complaint_api(user: Any) -> Any:
    return complaint_json(notice_cases.file_complaint(db_session(), user, json_body()), replies=True)


@api_bp.get("/complaints/<int:complaint_id>")
@api(summary="A complaint with its replies (its enterprise, its provider and staff)", roles=PARTIES,
     response=COMPLAINT_SCHEMA, errors=["not_found"])
def complaint_api(user: Any, complaint_id: int) -> Any:
    return complaint_json(notice_cases.get_complaint(db_session(), user, complaint_id), replies=True)


@api_bp.post("/complaints/<int:complaint_id>/replies")
@api(summary="Add a message to an unresolved complaint", roles=[Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR],
     status=201, body={"type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}},
     response=REPLY_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def reply_api(user: Any, complaint_id: int) -> Any:
    return reply_json(notice_cases.reply_to_complaint(db_session(), user, complaint_id, json_body()))


@api_bp.post("/complaints/<int:complaint_id>/take-up")
@api(summary="Start handling a complaint (open → in progress)", roles=[Role.OPERATOR], response=COMPLAINT_SCHEMA,
     errors=["invalid_state", "not_found"])
def take_up_api(user: Any, complaint_id: int) -> Any:
    s = db_session()
    notice_cases.take_up_complaint(s, user, complaint_id)
    return complaint_json(notice_cases.get_complaint(s, user, complaint_id), replies=True)


@api_bp.post("/complaints/<int:complaint_id>/resolve")
@api(summary="Resolve a complaint, saying how (in progress → resolved)", roles=[Role.OPERATOR],
     body={"type": "object", "required": ["resolution"], "properties": {"resolution": {"type": "string"}}},
     response=COMPLAINT_SCHEMA, errors=["validation_error", "invalid_state", "not_found"])
def resolve_api(user: Any, complaint_id: int) -> Any:
    s = db_session()
    notice_cases.resolve_complaint(s, user, complaint_id, json_body())
    return complaint_json(notice_cases.get_complaint(s, user, complaint_id), replies=True)


def init_filters(app: Any) -> None:
    app.jinja_env.filters.update(duration=duration, per_mille=format_per_mille)
