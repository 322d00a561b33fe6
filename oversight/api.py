"""The ``/api/v1`` routes of oversight: the programme report and the provider scorecards, the public
notice and its objections, complaints. ``@api`` is both the access rule and the OpenAPI entry; each
route parses with the commands the pages use, calls the same use case and returns JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

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
from oversight.models import Complaint, ComplaintReply, NoticeEntry, NoticeObjection
from oversight.states import ComplaintKind, ComplaintStatus, NoticeKind, ObjectionStatus
from oversight.views import PARTIES, STAFF
from shop import clock
from shop.errors import NotFound
from shop.i18n import _l
from shop.inputs import Inputs
from shop.pagination import page_args
from shop.states import Role
from shop.web import api, db_session, json_body

api_bp = Blueprint("oversight_api", __name__, url_prefix="/api/v1")


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def notice_json(entry: NoticeEntry, *, objections: int | None = None, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": entry.id,
        "kind": entry.kind.value,
        "year": entry.year,
        "organisation_name": entry.organisation_name,
        "uscc": entry.uscc_masked,
        "amount_fen": entry.amount_fen,
        "order_count": entry.order_count,
        "event_on": entry.event_on.isoformat(),
        "published_on": entry.published_on.isoformat(),
        "notice_ends_on": entry.notice_ends_on.isoformat(),
        "in_notice": entry.is_in_notice(clock.today()),
        "programme": entry.programme.code if entry.programme else None,
        "programme_title": entry.programme.title if entry.programme else None,
        "policy_version": entry.policy_version,
        "withdrawn_on": entry.withdrawn_on.isoformat() if entry.withdrawn_on else None,
        "withdrawal_reason": entry.withdrawal_reason,
    }
    if objections is not None:
        out["objections"] = objections
    if detail:
        out["objections"] = [objection_json(o) for o in entry.objections]
    return out


def objection_json(objection: NoticeObjection, *, staff: bool = False) -> dict[str, Any]:
    """Objections are public with their answers; who lodged one only staff read."""
    out = {
        "id": objection.id,
        "notice_id": objection.entry_id,
        "reason": objection.reason,
        "status": objection.status.value,
        "lodged_at": _when(objection.lodged_at),
        "answer": objection.answer,
        "answered_at": _when(objection.answered_at),
    }
    if staff:
        out["lodged_by"] = objection.lodged_by.email
    return out


def reply_json(reply_: ComplaintReply) -> dict[str, Any]:
    return {
        "id": reply_.id,
        "complaint_id": reply_.complaint_id,
        "party": reply_.party,
        "author": reply_.author.name or reply_.author.email,
        "body": reply_.body,
        "created_at": _when(reply_.created_at),
    }


def complaint_json(item: Complaint, *, replies: bool = False) -> dict[str, Any]:
    out = {
        "id": item.id,
        "order_id": item.order_id,
        "enterprise_id": item.enterprise_id,
        "provider_id": item.provider_id,
        "kind": item.kind.value,
        "subject": item.subject,
        "description": item.description,
        "status": item.status.value,
        "filed_at": _when(item.filed_at),
        "first_response_at": _when(item.first_response_at),
        "first_response_seconds": item.first_response_seconds,
        "taken_up_at": _when(item.taken_up_at),
        "resolved_at": _when(item.resolved_at),
        "resolution_seconds": item.resolution_seconds,
        "resolution": item.resolution,
    }
    if replies:
        out["replies"] = [reply_json(r) for r in item.replies]
    return out


REPLY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "complaint_id": {"type": "integer"},
        "party": {"enum": ["enterprise", "provider", "operator"]},
        "author": {"type": "string"},
        "body": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
PAGE_QUERY = {"page": {"type": "integer"}, "per_page": {"type": "integer"}}
NOTICE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": [k.value for k in NoticeKind]},
        "year": {"type": "integer"},
        "organisation_name": {"type": "string"},
        "uscc": {"type": "string", "description": "masked: 91520100****2X"},
        "amount_fen": {"type": "integer"},
        "order_count": {"type": ["integer", "null"]},
        "event_on": {"type": "string", "format": "date"},
        "published_on": {"type": "string", "format": "date"},
        "notice_ends_on": {"type": "string", "format": "date"},
        "in_notice": {"type": "boolean"},
        "programme": {"type": ["string", "null"]},
        "programme_title": {"type": ["string", "null"]},
        "policy_version": {"type": ["integer", "null"]},
        "withdrawn_on": {"type": ["string", "null"], "format": "date"},
        "withdrawal_reason": {"type": ["string", "null"]},
    },
}
OBJECTION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "notice_id": {"type": "integer"},
        "reason": {"type": "string"},
        "status": {"enum": [s.value for s in ObjectionStatus]},
        "answer": {"type": ["string", "null"]},
    },
}
COMPLAINT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "order_id": {"type": "integer"},
        "enterprise_id": {"type": "integer"},
        "provider_id": {"type": "integer"},
        "kind": {"enum": [k.value for k in ComplaintKind]},
        "subject": {"type": "string"},
        "description": {"type": "string"},
        "status": {"enum": [s.value for s in ComplaintStatus]},
        "first_response_seconds": {"type": ["integer", "null"]},
        "resolution": {"type": ["string", "null"]},
        "replies": {"type": "array", "items": {"type": "object"}},
    },
}


@api_bp.get("/reports/programmes/<int(max=2147483647):year>")
@api(
    summary="A year's programme figures (budget, vouchers by layer, category and city, orders per week, claims, "
    "leading providers); ?format=xlsx for the spreadsheet",
    roles=STAFF,
    query={"format": {"enum": ["json", "xlsx"]}, "programme": {"type": "string", "maxLength": 40}},
    errors=["validation_error", "not_found"],
)
def programme_report_api(user: Any, year: int) -> Any:
    inputs = Inputs(request.args)
    file_format = inputs.choice("format", ["json", "xlsx"], required=False, default="json")
    code = inputs.text("programme", required=False, max_length=40)
    inputs.check()
    s = db_session()
    if reports.find_programme(s, year) is None:
        raise NotFound(_l("There is no programme for %(year)d.", year=year))
    # staff of a jurisdiction report on the programmes under it; ?programme= narrows to one
    scope = report_scope.choose(s, year, code, user.jurisdiction)
    if scope.year != year:
        raise NotFound(_l("There is no programme %(code)s in %(year)d.", code=code, year=year))
    report = reports.programme_report(s, year, scope)
    return xlsx_response(report) if file_format == "xlsx" else report.as_json()


@api_bp.get("/reports/providers")
@api(
    summary="Provider scorecards of a year: orders, median time to confirm, refund rate, complaints and time "
    "to resolve them, claims rejected",
    roles=STAFF,
    query={"year": {"type": "integer"}, "sort": {"enum": list(scorecard_figures.SCORECARD_SORTS)}},
    errors=["validation_error"],
)
def scorecards_api(_user: Any) -> Any:
    where = ReportFilter.from_args(request.args)
    cards = scorecard_figures.scorecards(db_session(), where.year, where.sort)
    return {"year": where.year, "items": [c.as_json() for c in cards], "total": len(cards)}


@api_bp.get("/notices")
@api(
    summary="The public notice: entries in notice today (view=current) or a year's archive (view=archive)",
    public=True,
    query={
        "view": {"enum": ["current", "archive"]},
        "kind": {"enum": [k.value for k in NoticeKind]},
        "year": {"type": "integer"},
        "q": {"type": "string"},
        **PAGE_QUERY,
    },
    errors=["validation_error"],
)
def notices_api(_user: Any) -> Any:
    where = NoticeFilter.from_args(request.args)
    page, per_page = page_args(request.args)
    result = notice_cases.list_notices(db_session(), where, page=page, per_page=per_page)
    return result.as_json(lambda row: notice_json(row[0], objections=int(row[1])))


@api_bp.get("/notices/<int:entry_id>")
@api(
    summary="A notice entry with its objections and answers", public=True, response=NOTICE_SCHEMA, errors=["not_found"]
)
def notice_api(_user: Any, entry_id: int) -> Any:
    return notice_json(notice_cases.get_notice(db_session(), entry_id), detail=True)


@api_bp.post("/notices/<int:entry_id>/objections")
@api(
    summary="Object to an entry during its notice period, with a reason",
    status=201,
    body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    response=OBJECTION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def lodge_objection_api(user: Any, entry_id: int) -> Any:
    return objection_json(
        notice_cases.lodge_objection(db_session(), user, entry_id, ObjectionInput.from_input(json_body()))
    )


@api_bp.get("/objections")
@api(
    summary="Objections to notice entries, open first",
    roles=STAFF,
    query={"status": {"enum": [s.value for s in ObjectionStatus]}, **PAGE_QUERY},
)
def objections_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    where = ObjectionFilter.from_args(request.args)
    result = notice_cases.list_objections(db_session(), user, where, page=page, per_page=per_page)
    return result.as_json(lambda o: objection_json(o, staff=True))


@api_bp.post("/objections/<int:objection_id>/answer")
@api(
    summary="Answer an objection (published with it)",
    roles=[Role.OPERATOR],
    body={"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}},
    response=OBJECTION_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def answer_objection_api(user: Any, objection_id: int) -> Any:
    return objection_json(
        notice_cases.answer_objection(db_session(), user, objection_id, AnswerInput.from_input(json_body())), staff=True
    )


@api_bp.get("/complaints")
@api(
    summary="Complaints: the enterprise's own, those about the provider, or every complaint for staff",
    roles=PARTIES,
    query={"status": {"enum": [s.value for s in ComplaintStatus]}, **PAGE_QUERY},
    errors=["validation_error"],
)
def complaints_api(user: Any) -> Any:
    page, per_page = page_args(request.args)
    where = ComplaintFilter.from_args(request.args)
    return complaint_cases.list_complaints(db_session(), user, where, page=page, per_page=per_page).as_json(
        complaint_json
    )


@api_bp.post("/complaints")
@api(
    summary="Complain about the provider of one of your orders",
    roles=[Role.ENTERPRISE],
    status=201,
    body={
        "type": "object",
        "required": ["order_id", "kind", "subject", "description"],
        "properties": {
            "order_id": {"type": "integer"},
            "kind": {"enum": [k.value for k in ComplaintKind]},
            "subject": {"type": "string"},
            "description": {"type": "string"},
        },
    },
    response=COMPLAINT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def file_complaint_api(user: Any) -> Any:
    return complaint_json(
        complaint_cases.file_complaint(db_session(), user, ComplaintInput.from_input(json_body())), replies=True
    )


@api_bp.get("/complaints/<int:complaint_id>")
@api(
    summary="A complaint with its replies (its enterprise, its provider and staff)",
    roles=PARTIES,
    response=COMPLAINT_SCHEMA,
    errors=["not_found"],
)
def complaint_api(user: Any, complaint_id: int) -> Any:
    return complaint_json(complaint_cases.get_complaint(db_session(), user, complaint_id), replies=True)


@api_bp.post("/complaints/<int:complaint_id>/replies")
@api(
    summary="Add a message to an unresolved complaint",
    roles=[Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR],
    status=201,
    body={"type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}},
    response=REPLY_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def reply_api(user: Any, complaint_id: int) -> Any:
    return reply_json(
        complaint_cases.reply_to_complaint(db_session(), user, complaint_id, ReplyInput.from_input(json_body()))
    )


@api_bp.post("/complaints/<int:complaint_id>/take-up")
@api(
    summary="Start handling a complaint (open → in progress)",
    roles=[Role.OPERATOR],
    response=COMPLAINT_SCHEMA,
    errors=["invalid_state", "not_found"],
)
def take_up_api(user: Any, complaint_id: int) -> Any:
    s = db_session()
    complaint_cases.take_up_complaint(s, user, complaint_id)
    return complaint_json(complaint_cases.get_complaint(s, user, complaint_id), replies=True)


@api_bp.post("/complaints/<int:complaint_id>/resolve")
@api(
    summary="Resolve a complaint, saying how (in progress → resolved)",
    roles=[Role.OPERATOR],
    body={"type": "object", "required": ["resolution"], "properties": {"resolution": {"type": "string"}}},
    response=COMPLAINT_SCHEMA,
    errors=["validation_error", "invalid_state", "not_found"],
)
def resolve_api(user: Any, complaint_id: int) -> Any:
    s = db_session()
    complaint_cases.resolve_complaint(s, user, complaint_id, ResolutionInput.from_input(json_body()))
    return complaint_json(complaint_cases.get_complaint(s, user, complaint_id), replies=True)
