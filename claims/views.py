"""Pages of redemption claims (第二十二条–第二十五条); the API is in ``claims.api``. Thin: parse, call a
use case of ``claims.services`` or ``claims.reviews`` (or read through ``claims.queries``), render."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from claims import claimable, deductions, documents, recovery_views, reviews
from claims import dates as claim_dates
from claims import queries as claim_queries
from claims import services as claims
from claims.commands import (
    AnswerInput,
    ClaimableFilter,
    ClaimFilter,
    ClaimInput,
    DisbursementInput,
    DocumentInput,
    QueryInput,
)
from claims.rules import missing_claim_documents
from claims.states import CLAIM, ClaimDocumentKind, ClaimStatus
from shop import clock
from shop.audit import AuditEntry, history
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Decision, Inputs, ReasonInput
from shop.money import format_fen
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, roles_required, send_upload

bp = Blueprint("claims", __name__, template_folder="templates")

PROVIDER, OPERATOR, AUTHORITY, FINANCE = Role.PROVIDER, Role.OPERATOR, Role.AUTHORITY, Role.FINANCE
STAFF = (OPERATOR, AUTHORITY)
READERS = (PROVIDER, OPERATOR, AUTHORITY, FINANCE)  # the finance bureau reads the claims it pays


# -- provider pages --------------------------------------------------------------------------------------


@bp.get("/provider/claims")
@roles_required(PROVIDER)
def my_claims() -> Any:
    page, per_page = page_args(request.args)
    where = ClaimFilter.from_args(request.args, strict=False)  # a wrong filter is dropped: the page still shows
    result = claim_queries.list_claims(db_session(), actor(), where, page, per_page)
    return render_template("claims/claims.html", page=result, where=where, statuses=list(ClaimStatus), summary=None)


@bp.get("/provider/claims/new")
@roles_required(PROVIDER)
def claimable_orders(errors: dict | None = None, status: int = 200) -> Any:
    page, per_page = page_args(request.args, default_per_page=50)
    filter_errors: dict = {}
    try:
        where = ClaimableFilter.from_args(request.args)
    except DomainError as error:
        where, filter_errors = ClaimableFilter(), error.errors
    result, total_fen = claimable.list_claimable_orders(db_session(), actor(), where, page, per_page)
    selected = set(Inputs(request.form).integers("order_ids", required=False))
    return render_template(
        "claims/claimable.html",
        page=result,
        total_fen=total_fen,
        where=where,
        errors={**filter_errors, **(errors or {})},
        selected=selected,
    ), status


@bp.post("/provider/claims")
@roles_required(PROVIDER)
def create_claim() -> Any:
    try:
        claim = claims.create_claim(db_session(), actor(), ClaimInput.from_input(request.form))
    except DomainError as error:
        return claimable_orders(errors=error.errors or {"order_ids": [error.detail]}, status=error.status)
    flash(_("Draft claim #%(id)d created. Add the evidence, then submit it.", id=claim.id), "success")
    return redirect(url_for("claims.claim_detail", claim_id=claim.id))


# -- the claim page (provider and staff) ---------------------------------------------------------------------


def _timeline(claim_id: int) -> list[AuditEntry]:
    return history(db_session(), "claim", claim_id)


@bp.get("/claims/<int:claim_id>")
@roles_required(*READERS)
def claim_detail(claim_id: int, errors: dict | None = None, status: int = 200, form: Any = None) -> Any:
    claim = claim_queries.get_claim(db_session(), actor(), claim_id)
    kinds = {d.kind.value for d in claim.live_documents}
    holds = claims.claim_holds(db_session(), claim)
    required = claim_dates.evidence_kinds(db_session(), claim)
    user = actor()
    return render_template(
        "claims/claim.html",
        claim=claim,
        errors=errors or {},
        form=form if form is not None else request.form,
        timeline=_timeline(claim.id),
        required=required,
        kinds_present=kinds,
        missing=missing_claim_documents(kinds, required),
        today=clock.today(),
        holds=holds,
        approved_on=clock.china_date(claim.authority_decided_at),
        can=lambda action: CLAIM.can(claim.status, action),
        may=claims.allowed_actions(user, claim, holds),
        excludable=claims.excludable_order_ids(claim),
        **recovery_views.claim_context(db_session(), user, claim),  # 追回
        # the kinds the claim's programmes ask for first, then the others
        document_kinds=sorted(ClaimDocumentKind, key=lambda k: k.value not in required),
    ), status


def _act(claim_id: int, action: Any, done: Any = None) -> Any:
    try:
        action()
    except DomainError as error:
        return claim_detail(claim_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    if done is not None:
        flash(done, "success")
    return redirect(url_for("claims.claim_detail", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/documents")
@roles_required(PROVIDER)
def add_document(claim_id: int) -> Any:
    upload = request.files.get("file")
    return _act(
        claim_id,
        lambda: documents.add_claim_document(
            db_session(),
            actor(),
            claim_id,
            DocumentInput.from_input(request.form),
            (upload.stream, upload.filename) if upload else (None, None),
            current_app.config["UPLOAD_DIR"],
        ),
        _("The document is added."),
    )


@bp.post("/claims/<int:claim_id>/documents/<int:document_id>/remove")
@roles_required(PROVIDER)
def remove_document(claim_id: int, document_id: int) -> Any:
    return _act(
        claim_id,
        lambda: documents.remove_claim_document(db_session(), actor(), claim_id, document_id),
        _("The document is removed."),
    )


@bp.get("/claim-documents/<int:document_id>")
@roles_required(*READERS)
def document(document_id: int) -> Any:
    doc = claim_queries.claim_document(db_session(), actor(), document_id)
    return send_upload(doc.stored_name, doc.content_type, doc.original_name)


@bp.post("/claims/<int:claim_id>/submit")
@roles_required(PROVIDER)
def submit(claim_id: int) -> Any:
    def run() -> None:
        claim = claims.submit_claim(db_session(), actor(), claim_id)
        flash(
            _(
                "Submitted: the operator reviews it at the settlement date %(day)s.",
                day=claim.settlement_date.isoformat(),
            ),
            "success",
        )

    return _act(claim_id, run)


@bp.post("/claims/<int:claim_id>/withdraw")
@roles_required(PROVIDER)
def withdraw(claim_id: int) -> Any:
    return _act(
        claim_id,
        lambda: claims.withdraw_claim(db_session(), actor(), claim_id),
        _("The draft is withdrawn; its orders can be claimed again."),
    )


@bp.post("/claims/<int:claim_id>/review")
@roles_required(*STAFF)
def review(claim_id: int) -> Any:
    return _act(
        claim_id,
        lambda: reviews.review_claim(db_session(), actor(), claim_id, Decision.from_input(request.form)),
        _("Your decision is recorded."),
    )


@bp.post("/claims/<int:claim_id>/orders/<int:order_id>/exclude")
@roles_required(OPERATOR)
def exclude(claim_id: int, order_id: int) -> Any:
    try:
        reviews.exclude_order(db_session(), actor(), claim_id, order_id, ReasonInput.from_input(request.form))
    except DomainError as error:
        errors = {f"exclude-{order_id}": error.errors.get("reason", [error.detail])}
        return claim_detail(claim_id, errors=errors, status=error.status)
    flash(_("Order #%(id)d is taken out of the claim; the provider can claim it again.", id=order_id), "success")
    return redirect(url_for("claims.claim_detail", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/orders/<int:order_id>/deduction")
@roles_required(OPERATOR, AUTHORITY)
def deduct(claim_id: int, order_id: int) -> Any:
    inputs = Inputs(request.form)
    amount = inputs.fen("amount_fen", required=False, minimum=0) or 0  # typed in yuan as "amount"
    reason = inputs.reason(required=False)
    try:
        inputs.check()
        deductions.deduct_order(db_session(), actor(), claim_id, order_id, amount, reason)
    except DomainError as error:
        messages = [m for field in ("amount", "amount_fen", "reason") for m in error.errors.get(field, [])]
        return claim_detail(claim_id, errors={f"deduct-{order_id}": messages or [error.detail]}, status=error.status)
    flash(_("Order #%(id)d will be paid %(amount)s less.", id=order_id, amount=format_fen(amount)), "success")
    return redirect(url_for("claims.claim_detail", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/queries")
@roles_required(AUTHORITY)
def ask(claim_id: int) -> Any:
    def run() -> None:
        query = reviews.ask_query(db_session(), actor(), claim_id, QueryInput.from_input(request.form))
        flash(
            _("The query is sent to the operator; the answer is due on %(day)s.", day=query.due_on.isoformat()),
            "success",
        )

    return _act(claim_id, run)


@bp.post("/claims/<int:claim_id>/queries/<int:query_id>/answer")
@roles_required(OPERATOR)
def answer(claim_id: int, query_id: int) -> Any:
    try:
        reviews.answer_query(db_session(), actor(), claim_id, query_id, AnswerInput.from_input(request.form))
    except DomainError as error:
        return claim_detail(
            claim_id, errors={f"answer-{query_id}": error.errors.get("answer", [error.detail])}, status=error.status
        )
    flash(_("Your answer is sent to the authority."), "success")
    return redirect(url_for("claims.claim_detail", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/disburse")
@roles_required(FINANCE)
def disburse(claim_id: int) -> Any:
    return _act(
        claim_id,
        lambda: reviews.disburse_claim(db_session(), actor(), claim_id, DisbursementInput.from_input(request.form)),
        _("The payment is recorded."),
    )


# -- staff pages ----------------------------------------------------------------------------------------------


@bp.get("/staff/claims")
@roles_required(*STAFF)
def staff_claims() -> Any:
    """Claims grouped by settlement date; by default what waits for the reader."""
    page, per_page = page_args(request.args, default_per_page=50)
    where = ClaimFilter.from_args(request.args, strict=False)
    if "status" not in request.args:
        waiting = ClaimStatus.SUBMITTED if current_user.role == OPERATOR else ClaimStatus.OPERATOR_APPROVED
        where = ClaimFilter([waiting], where.settlement_date, where.provider_id)
    result = claim_queries.list_claims(db_session(), actor(), where, page, per_page)
    year = where.settlement_date.year if where.settlement_date else clock.today().year
    return render_template(
        "claims/claims.html",
        page=result,
        where=where,
        statuses=list(ClaimStatus),
        summary=claim_queries.settlement_summary(db_session(), year),
        year=year,
        overdue=claim_queries.overdue_queries(db_session()),
        today=clock.today(),
    )


@bp.get("/staff/claim-queries")
@roles_required(*STAFF)
def queries() -> Any:
    page, per_page = page_args(request.args)
    open_only = not Inputs(request.args).boolean("all")
    result = claim_queries.list_queries(db_session(), actor(), open_only=open_only, page=page, per_page=per_page)
    return render_template("claims/claim_queries.html", page=result, open_only=open_only, today=clock.today())
