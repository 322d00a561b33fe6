"""Pages of contract vouchers (``orders.contract_vouchers``): the offer on the enterprise's order page
(what the voucher would be, then the application), the list, the printable voucher, the reviewers'
queue and the ranked round. Thin: parse, call a service, render. The API is ``orders.voucher_api``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from orders import contract_vouchers, voucher_issue, voucher_reviews
from orders.models import Order
from orders.states import CONTRACT_VOUCHER, VoucherStatus
from orders.voucher_commands import VoucherApplication, VoucherReview
from shop.errors import DomainError
from shop.i18n import _
from shop.inputs import ReasonInput
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, roles_required
from wallet.models import Programme
from wallet.policy_words import SEPARATOR, VALUE_WORDS

bp = Blueprint("orders_vouchers", __name__, template_folder="templates")

STAFF = (Role.OPERATOR, Role.AUTHORITY)
EVERYONE = (Role.ENTERPRISE, Role.PROVIDER, *STAFF)


def order_context(order: Order) -> dict[str, Any]:
    """What the order page shows of contract vouchers: the voucher of the order, or (to its enterprise)
    what one would be under the programme that covers it, or why none can be applied for."""
    s, user = db_session(), actor()
    voucher = contract_vouchers.voucher_of_order(s, order.id)
    if voucher is not None or user.role != Role.ENTERPRISE or order.voucher_fen:
        return {"voucher": voucher}
    org = order.enterprise
    if not contract_vouchers.contract_programmes(s, org, _today()):
        return {}
    try:
        offer = contract_vouchers.quote(s, user, order.id, None, {})
    except DomainError as error:
        return {"refusal": error.detail}
    with_certificate = None
    if any(t.fact == "certificates" for t in offer.scheme.cap_tiers):
        try:
            with_certificate = contract_vouchers.quote(s, user, order.id, None, {"certificates": ["lianghua"]})
        except DomainError:
            with_certificate = None
    return {"offer": offer, "with_certificate": with_certificate}


def _today() -> Any:
    from shop import clock

    return clock.today()


def _gateway() -> Any:
    return current_app.extensions["orders.gateway"]


def _settle(voucher: Any) -> None:
    if voucher.status == VoucherStatus.ISSUED and voucher.card_refund_fen and not voucher.card_refund_id:
        voucher_issue.settle_card_refunds(db_session(), _gateway(), voucher.id)


def settle_after_confirmation(order_id: int) -> None:
    """The provider's confirmation captured the card: the amount of the order's issued voucher is
    refunded on it now (the daily job retries one the payment service did not answer)."""
    voucher = contract_vouchers.voucher_of_order(db_session(), order_id)
    if voucher is not None:
        _settle(voucher)


@bp.post("/orders/<int:order_id>/voucher-application")
@roles_required(Role.ENTERPRISE)
def apply(order_id: int) -> Any:
    try:
        command = VoucherApplication.from_input(request.form)
        voucher = contract_vouchers.apply_for_voucher(
            db_session(), actor(), order_id, command.programme_id, command.facts
        )
    except DomainError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("orders.order_detail", order_id=order_id))
    flash(_("Your application for a voucher was sent for review."), "success")
    return redirect(url_for("orders_vouchers.voucher_page", voucher_id=voucher.id))


@bp.get("/contract-vouchers")
@roles_required(*EVERYONE)
def my_vouchers() -> Any:
    page, per_page = page_args(request.args)
    result = contract_vouchers.list_vouchers(db_session(), actor(), page=page, per_page=per_page)
    return render_template("orders/vouchers/list.html", page=result)


@bp.get("/contract-vouchers/<int:voucher_id>")
@roles_required(*EVERYONE)
def voucher_page(voucher_id: int) -> Any:
    s = db_session()
    voucher = contract_vouchers.get_voucher(s, actor(), voucher_id)
    return render_template(
        "orders/vouchers/voucher.html",
        voucher=voucher,
        programme=s.get(Programme, voucher.programme_id),
        can_lapse=actor().role in STAFF and CONTRACT_VOUCHER.can(voucher.status, "lapse_voucher"),
        words=VALUE_WORDS,
        separator=SEPARATOR,
    )


@bp.get("/contract-vouchers/reviews")
@roles_required(*STAFF)
def review_queue() -> Any:
    queue = voucher_reviews.review_queue(db_session(), actor())
    ranked = [p for p in _ranked_programmes()] if actor().role == Role.AUTHORITY else []
    return render_template(
        "orders/vouchers/queue.html", queue=queue, ranked=ranked, words=VALUE_WORDS, separator=SEPARATOR
    )


def _ranked_programmes() -> list[Programme]:
    from wallet import versions

    s, user = db_session(), actor()
    found = []
    for programme in s.query(Programme).order_by(Programme.starts_on.desc()):
        if user.oversees(programme.jurisdiction) and versions.rules_of(s, programme).selection == "ranked":
            found.append(programme)
    return found


@bp.post("/contract-vouchers/<int:voucher_id>/review")
@roles_required(*STAFF)
def review(voucher_id: int) -> Any:
    try:
        voucher = voucher_reviews.review_voucher(
            db_session(), actor(), voucher_id, VoucherReview.from_input(request.form)
        )
    except DomainError as error:
        flash(" ".join(str(m) for ms in error.errors.values() for m in ms) or str(error.detail), "error")
        return redirect(url_for("orders_vouchers.review_queue"))
    _settle(voucher)
    flash(_("The review is recorded."), "success")
    return redirect(url_for("orders_vouchers.review_queue"))


@bp.post("/contract-vouchers/<int:voucher_id>/lapse")
@roles_required(*STAFF)
def lapse(voucher_id: int) -> Any:
    try:
        voucher_issue.lapse_voucher(db_session(), actor(), voucher_id, ReasonInput.from_input(request.form).reason)
    except DomainError as error:
        flash(str(error.detail), "error")
    else:
        flash(_("The voucher lapsed: its amount is back in the budget."), "success")
    return redirect(url_for("orders_vouchers.voucher_page", voucher_id=voucher_id))


@bp.get("/programmes/<int:programme_id>/round")
@roles_required(Role.AUTHORITY)
def round_page(programme_id: int) -> Any:
    programme, lines = voucher_reviews.round_preview(db_session(), actor(), programme_id)
    return render_template("orders/vouchers/round.html", programme=programme, lines=lines)


@bp.post("/programmes/<int:programme_id>/round/close")
@roles_required(Role.AUTHORITY)
def close_round(programme_id: int) -> Any:
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the round closes."), "error")
        return redirect(url_for("orders_vouchers.round_page", programme_id=programme_id))
    try:
        lines = voucher_reviews.close_round(db_session(), actor(), programme_id)
    except DomainError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("orders_vouchers.round_page", programme_id=programme_id))
    for line in lines:
        _settle(line.voucher)
    granted = sum(1 for line in lines if line.granted)
    flash(
        _(
            "The round is closed: %(granted)d granted, %(refused)d refused.",
            granted=granted,
            refused=len(lines) - granted,
        ),
        "success",
    )
    return redirect(url_for("orders_vouchers.round_page", programme_id=programme_id))
