"""The operator's pages of programmes as policy, on ``wallet.grant_views.bp``: one application under
its policy (the programme, the scheme, the facts declared with their evidence and the cap they
give) with the grant, for
less with a reason, the return for completion, and the release of an unused part of a grant; and the
queue of 复核 requests with their deadlines. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound as HTTPNotFound

from shop import clock
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import Decision, Inputs
from shop.money import format_fen
from shop.states import Role
from shop.web import actor, db_session, roles_required
from wallet import application_documents, grant_reading, grant_upkeep, grants, reconsiderations, services
from wallet.grant_views import bp
from wallet.models import QuotaApplication, Reconsideration
from wallet.states import QUOTA_APPLICATION, ApplicationStatus

CONFIRM = "1"


def _field(key: str) -> str:
    """A service's field as the form names it (amounts typed in yuan)."""
    return {"granted_fen": "granted", "amount_fen": "amount"}.get(key, key)


def _errors(error: DomainError, rename: dict[str, str] | None = None) -> dict[str, list]:
    out: dict[str, list] = {}
    for key, messages in (error.errors or {"_": [error.detail]}).items():
        name = (rename or {}).get(key, _field(key))
        out.setdefault(name, []).extend(messages)
    return out


def _application(application_id: int) -> QuotaApplication:
    """The application, if it lies under the operator's jurisdiction (else not found)."""
    application = db_session().get(QuotaApplication, application_id)
    if application is None or not grant_reading.covered(actor(), application):
        raise HTTPNotFound()
    return application


def _review_page(application_id: int, failed: str | None = None, errors: dict | None = None, status: int = 200) -> Any:
    s = db_session()
    application = _application(application_id)
    _book, rules = grants.application_book(s, application)
    scheme = rules.scheme(application.scheme)
    granted = application.status == ApplicationStatus.GRANTED
    return render_template(
        "wallet/grants/review.html",
        application=application,
        programme=application.programme,
        rules=rules,
        scheme=scheme,
        cap=grant_reading.cap_for(scheme, application.facts or {}) if scheme else None,
        province_wide=grant_reading.is_province_wide(application.programme),
        can=lambda action: QUOTA_APPLICATION.can(application.status, action),
        can_return=rules.completion_working_days is not None and QUOTA_APPLICATION.can(application.status, "return"),
        unused_fen=grant_reading.unused_fen(s, application) if granted else 0,
        takes_effect_on=grants.takes_effect_on(s, application, rules),
        items=reconsiderations.of_application(s, application.id),
        documents=application_documents.by_fact(application_documents.documents_of(s, actor(), application.id)),
        failed=failed,
        errors=errors or {},
        form=request.form if failed else {},
    ), status


@bp.get("/operator/quota-applications/<int:application_id>")
@roles_required(Role.OPERATOR)
def review_page(application_id: int) -> Any:
    return _review_page(application_id)


@bp.post("/operator/quota-applications/<int:application_id>/decision")
@roles_required(Role.OPERATOR)
def decide(application_id: int) -> Any:
    application = _application(application_id)
    inputs = Inputs(request.form)
    granted = inputs.fen("granted_fen", required=False, minimum=1)
    try:
        decision = Decision.from_input(request.form)
        if decision.approve and granted is not None and granted < application.reserved_fen and not decision.reason:
            # the service says so too; said here with the box below, so that one answer lists both
            inputs.error("reason", _("Say why less than the cap is granted."))
        if decision.approve and request.form.get("confirm") != CONFIRM:
            inputs.error("confirm", _("Tick the box to confirm the amount granted."))
        inputs.check()
        decided = services.review_application(
            db_session(), actor(), application_id, decision, granted if decision.approve else None
        )
    except DomainError as error:
        if error.code == "not_found":
            raise
        errors = {**inputs.errors, **_errors(error)} if inputs.errors else _errors(error)
        return _review_page(application_id, "decision", errors, error.status)
    if decided.status == ApplicationStatus.IN_NOTICE:
        message = _(
            "%(amount)s granted: it is published and in its notice until %(day)s; it takes effect after.",
            amount=format_fen(decided.granted_fen),
            day=decided.notice_ends_on.isoformat(),
        )
    elif decided.status == ApplicationStatus.GRANTED:
        message = _("%(amount)s granted to the enterprise's wallet.", amount=format_fen(decided.granted_fen))
    else:
        message = _("The application is rejected; its reservation went back to the budget.")
    flash(message, "success")
    return redirect(url_for("grants.review_page", application_id=application_id))


@bp.post("/operator/quota-applications/<int:application_id>/return")
@roles_required(Role.OPERATOR)
def return_application(application_id: int) -> Any:
    _application(application_id)
    inputs = Inputs(request.form)
    reason = inputs.reason("return_reason", min_length=2)
    try:
        inputs.check()
        returned = grant_upkeep.return_for_completion(db_session(), actor(), application_id, reason)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _review_page(application_id, "return", _errors(error, {"reason": "return_reason"}), error.status)
    flash(
        _("Returned for completion: the enterprise completes it by %(day)s.", day=returned.complete_by.isoformat()),
        "success",
    )
    return redirect(url_for("grants.review_page", application_id=application_id))


@bp.post("/operator/quota-applications/<int:application_id>/release")
@roles_required(Role.OPERATOR)
def release(application_id: int) -> Any:
    _application(application_id)
    inputs = Inputs(request.form)
    amount = inputs.fen("amount_fen", minimum=1)
    reason = inputs.reason("release_reason", min_length=2)
    if request.form.get("release_confirm") != CONFIRM:
        inputs.error("release_confirm", _("Tick the box to confirm that this amount goes back to the budget."))
    try:
        inputs.check()
        grant_upkeep.release(db_session(), actor(), application_id, amount, reason)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _review_page(application_id, "release", _errors(error, {"reason": "release_reason"}), error.status)
    flash(_("%(amount)s went back to the programme's budget.", amount=format_fen(amount)), "success")
    return redirect(url_for("grants.review_page", application_id=application_id))


# -- 复核 requests ---------------------------------------------------------------------------------------


def _queue_page(failed: int | None = None, errors: dict | None = None, status: int = 200) -> Any:
    closed = request.args.get("view") == "closed"
    return render_template(
        "wallet/grants/reconsiderations.html",
        items=grant_reading.open_reconsiderations(db_session(), actor(), closed=closed),
        closed=closed,
        today=clock.today(),
        failed=failed,
        errors=errors or {},
        form=request.form if failed else {},
    ), status


@bp.get("/operator/reconsiderations")
@roles_required(Role.OPERATOR)
def reconsideration_queue() -> Any:
    return _queue_page()


def _item(item_id: int) -> Reconsideration:
    item = db_session().get(Reconsideration, item_id)
    if item is None or not grant_reading.covered(actor(), item.application):
        raise HTTPNotFound()
    return item


@bp.post("/operator/reconsiderations/<int:item_id>/answer")
@roles_required(Role.OPERATOR)
def answer_reconsideration(item_id: int) -> Any:
    _item(item_id)
    inputs = Inputs(request.form)
    accept = inputs.choice("decision", ["accept", "refuse"]) == "accept"
    reason = inputs.reason(required=not accept)
    try:
        inputs.check()
        item = reconsiderations.answer(db_session(), actor(), item_id, accept, reason)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _queue_page(item_id, _errors(error), error.status)
    if item.status == "accepted":
        flash(_("The 复核 request is accepted: decide it by %(day)s.", day=item.decide_by.isoformat()), "success")
    else:
        flash(_("The 复核 request is not accepted: the grant is no longer held."), "success")
    return redirect(url_for("grants.reconsideration_queue"))


@bp.post("/operator/reconsiderations/<int:item_id>/decision")
@roles_required(Role.OPERATOR)
def decide_reconsideration(item_id: int) -> Any:
    _item(item_id)
    inputs = Inputs(request.form)
    uphold = inputs.choice("decision", ["uphold", "dismiss"]) == "uphold"
    reason = inputs.reason(min_length=2)
    if uphold and request.form.get("confirm") != CONFIRM:
        inputs.error("confirm", _("Tick the box to confirm that the grant is cancelled."))
    try:
        inputs.check()
        item = reconsiderations.decide(db_session(), actor(), item_id, uphold, reason)
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _queue_page(item_id, _errors(error), error.status)
    if item.status == "upheld":
        flash(_("The 复核 is upheld: the grant is cancelled and its amount went back to the budget."), "success")
    else:
        flash(_("The 复核 is dismissed: the grant takes effect as its notice allows."), "success")
    return redirect(url_for("grants.reconsideration_queue"))
