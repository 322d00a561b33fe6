"""Cart, checkout, orders and refunds (第十五–二十一条).
``init_app`` registers the area: pages, API, payment gateway, navigation, labels, demo data, daily jobs
and the command line. Called by ``shop.create_app``."""

from __future__ import annotations

import datetime as dt
import math

import click
from flask import Flask

from shop import daily, labels, nav, seed
from shop.i18n import _l


def init_app(app: Flask) -> None:
    from orders import (
        api,
        attempts,
        cart,
        reconcile,
        services,
        views,
        voucher_api,
        voucher_issue,
        voucher_reconciliation,
        voucher_views,
    )
    from orders.demo import seed_orders
    from orders.demo_linyi import LOGINS as LINYI_LOGINS
    from orders.demo_linyi import seed_linyi
    from orders.payments import StripeGateway

    app.extensions["orders.gateway"] = StripeGateway(
        app.config["STRIPE_SECRET_KEY"], api_base=app.config.get("STRIPE_API_BASE")
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(api.api_bp)
    app.register_blueprint(voucher_views.bp)
    app.register_blueprint(voucher_api.api_bp)
    voucher_reconciliation.register()  # ledger-verify counts contract vouchers' reservations and grants
    seed.register(seed_orders, order=40)
    seed.register(seed_linyi, order=42, logins=LINYI_LOGINS)
    daily.every_day(
        app,
        "orders.expire_unconfirmed_orders",
        lambda session, _today: reconcile.expire_unconfirmed_orders(
            session, app.extensions["orders.gateway"], deadline_days=app.config["CONFIRMATION_DEADLINE_DAYS"]
        ),
    )

    def _contract_vouchers_daily(session, today):  # type: ignore[no-untyped-def]
        voucher_issue.issue_after_notice(session, today)
        voucher_issue.lapse_expired(session, today)
        voucher_issue.settle_card_refunds(session, app.extensions["orders.gateway"])

    daily.every_day(app, "orders.contract_vouchers", _contract_vouchers_daily)
    _voucher_nav_and_labels()

    nav.add(
        "orders.cart", _l("Cart"), {"enterprise"}, order=15, count=lambda s, u: cart.cart_count(s, u.organisation_id)
    )
    nav.add(
        "orders.list_orders",
        _l("Orders"),
        {"enterprise", "provider", "operator", "authority"},
        order=16,
        count=lambda s, u: services.waiting_for_provider(s, u.organisation_id) if u.role.value == "provider" else 0,
    )
    labels.add(
        {
            "order": _l("order"),
            "checkout": _l("checkout"),
            "placed": _l("Awaiting confirmation"),
            "confirmed": _l("Confirmed"),
            "cancelled": _l("Cancelled"),
            "refund_requested": _l("Refund requested"),
            "refunded": _l("Refunded"),
            "place": _l("Placed"),
            "confirm": _l("Confirmed by the provider"),
            "cancel": _l("Cancelled by the buyer"),
            "request_refund": _l("Refund requested"),
            "approve_refund": _l("Refund approved"),
            "reject_refund": _l("Refund refused"),
            "payment_voided": _l("Card hold released"),
            "payment_refunded": _l("Self-paid part refunded"),
            "refund_late_capture": _l("Late capture refunded"),
            "reconcile": _l("Reconciled"),
            "record_intents": _l("Card payments prepared"),
            "record_authorisation": _l("Amounts held on the card"),
            "complete_checkout": _l("Checkout completed"),
            "fail_checkout": _l("Checkout failed"),
            "fail_checkout_holding": _l("Checkout failed, card hold still to release"),
            "abandon_checkout": _l("Checkout taken over by reconciliation"),
            "finish_voids": _l("Card holds released"),
            "finish_abandon": _l("Interrupted checkout undone"),
            "hold_left_behind": _l("Card hold left to release"),
            "authorised": _l("Authorised on the card"),
            "captured": _l("Paid"),
            "voided": _l("Hold released"),
            "void_pending": _l("Releasing the hold"),
            "refund_pending": _l("Refunding"),
            "none": _l("Vouchers only"),
            "capture_pending": _l("Taking the payment"),
            "payment_capture": _l("Taking the self-paid part"),
            "payment_capture_declined": _l("Capture refused by the payment service"),
            "payment_capture_not_taken": _l("Capture not taken; the hold remains"),
            "payment_void": _l("Releasing the card hold"),
            "payment_refund": _l("Refunding the self-paid part"),
            "lapse": _l("Cancelled by the platform"),
            "confirmation_deadline": _l("Not confirmed by the provider within the confirmation deadline"),
            # the checkout attempt's and the payment's tables (audited as "payment_" + action)
            "payment": _l("payment"),
            "prepared": _l("Prepared"),
            "reserved": _l("Vouchers reserved"),
            "completed": _l("Completed"),
            "failed": _l("Failed"),
            "abandoned": _l("Abandoned"),
            "capture": _l("Payment taken"),
            "capture_declined": _l("Capture refused"),
            "capture_not_taken": _l("Capture not taken"),
            "void": _l("Hold released"),
            "refund": _l("Refunded"),
            "hold_lost": _l("Card hold lost"),
            "card_hold_released": _l("The payment service released the card hold before the payment was taken"),
        },
        attention={"placed", "refund_requested", "capture_pending"},
        bad={"cancelled", "refunded"},
    )

    @app.cli.command("contract-vouchers-daily")
    def contract_vouchers_daily_command() -> None:
        """Issue contract vouchers whose notice ended, lapse expired ones, refund their amounts on cards."""
        from shop.db import write_transactions

        with write_transactions(), app.extensions["shop.sessions"]() as session:
            _contract_vouchers_daily(session, None)
        click.echo("done")

    @app.cli.command("reconcile-payments")
    @click.option("--older-than", default=15, show_default=True, help="minutes an unfinished checkout may run")
    def reconcile_payments_command(older_than: int) -> None:
        """Void card holds and release vouchers of crashed checkouts; finish every payment that is not
        final (captures, voids and refunds) by the intent's real status. Run it from cron every few minutes."""
        gateway = app.extensions["orders.gateway"]
        minimum = attempts.minimum_reconcile_age(gateway)
        if dt.timedelta(minutes=older_than) < minimum:
            seconds = int(minimum.total_seconds())
            raise click.UsageError(
                f"--older-than must be at least {math.ceil(seconds / 60)} minutes: a checkout still running may wait "
                f"{gateway.timeout:g} s for each of the {attempts.CALLS_PER_ORDER} calls of an order's payment, plus "
                f"{int(attempts.LEASE_MARGIN.total_seconds())} s margin ({seconds} s). Younger checkouts finish by "
                f"themselves, and one that holds its lease is never taken."
            )
        with app.extensions["shop.sessions"]() as session:
            report = reconcile.reconcile_payments(session, gateway, older_than=dt.timedelta(minutes=older_than))
        from shop.money import format_fen

        click.echo(
            f"abandoned {report.abandoned_attempts} checkout(s), released {format_fen(report.released_fen)}, "
            f"voided {report.voided_intents} hold(s); finished {report.finished_captures} capture(s), "
            f"{report.finished_voids} void(s) and {report.finished_refunds} refund(s); "
            f"{report.captures_not_taken} capture(s) found not taken; {report.still_pending} still pending"
        )

    @app.cli.command("expire-unconfirmed-orders")
    def expire_unconfirmed_orders_command() -> None:
        """Cancel the orders not confirmed within CONFIRMATION_DEADLINE_DAYS (vouchers back, card holds
        voided). Idempotent; the daily job does the same, run it from cron for a tighter schedule."""
        days = app.config["CONFIRMATION_DEADLINE_DAYS"]
        with app.extensions["shop.sessions"]() as session:
            n = reconcile.expire_unconfirmed_orders(session, app.extensions["orders.gateway"], deadline_days=days)
        click.echo(f"{n} order(s) not confirmed within {days} days cancelled")


def _voucher_nav_and_labels() -> None:
    from orders import voucher_reviews

    nav.add("orders_vouchers.my_vouchers", _l("Contract vouchers"), {"enterprise", "provider"}, order=17)
    nav.add(
        "orders_vouchers.review_queue",
        _l("Contract voucher reviews"),
        {"operator", "authority"},
        order=17,
        count=lambda s, u: len(voucher_reviews.review_queue(s, u)),
    )
    labels.add(
        {
            "contract_voucher": _l("contract voucher"),
            "applied": _l("Applied for"),
            "in_review": _l("In review"),
            "reviewed": _l("Reviewed, waiting for the round"),
            "in_notice": _l("In its notice"),
            "issued": _l("Issued"),
            "redeemed": _l("Redeemed"),
            "refused": _l("Refused"),
            "withdrawn": _l("Withdrawn"),
            "lapsed": _l("Lapsed"),
            "apply_voucher": _l("Voucher applied for"),
            "pass_stage": _l("Review stage passed"),
            "pass_review": _l("Reviews passed and scored"),
            "publish_voucher": _l("Voucher granted, in its notice"),
            "issue_voucher": _l("Voucher issued"),
            "refuse_voucher": _l("Voucher refused"),
            "withdraw_voucher": _l("Voucher application withdrawn"),
            "redeem_voucher": _l("Voucher redeemed"),
            "lapse_voucher": _l("Voucher lapsed"),
            "refund_voucher_amount": _l("Voucher amount refunded on the card"),
            "apply_contract_voucher": _l("Contract voucher applied to the order"),
            "lose_contract_voucher": _l("Contract voucher taken off the order"),
            "reserve_contract_voucher": _l("Reserved for a contract voucher"),
            "release_contract_voucher": _l("Contract voucher reservation released"),
            "issue_contract_voucher": _l("Contract voucher issued to its order"),
            "lapse_contract_voucher": _l("Lapsed contract voucher back to the budget"),
        },
        attention={"applied", "in_review", "reviewed"},
        bad={"refused", "lapsed"},
    )
