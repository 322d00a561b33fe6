"""Redemption claims (第二十二条–第二十五条): a provider turns its confirmed orders into money.
``init_app`` registers the area: pages, API, navigation, labels, the guards it adds to the orders'
refunds and the programme's settlement dates, the daily roll-over, the export per settlement date, the
ledger reconciliation, demo data and the command line. Called by ``shop.create_app``."""

from __future__ import annotations

import click
from flask import Flask

from shop import daily, labels, nav, seed
from shop.exports import register as register_export
from shop.i18n import _l


def init_app(app: Flask) -> None:
    from claims import (  # noqa: F401
        api,
        payment_request_api,
        payment_request_views,
        reconciliation,
        recovery_api,
        recovery_views,
        reviews,
        views,
    )
    from claims import payment_requests as requests
    from claims import queries as claim_queries
    from claims.demo import seed_claims
    from claims.exports import SETTLEMENT_EXPORT
    from claims.payment_request_exports import PAYMENT_REQUEST_EXPORT, PAYMENT_REQUESTS_EXPORT

    reviews.register_guards()
    app.register_blueprint(views.bp)
    app.register_blueprint(api.api_bp)
    app.register_blueprint(recovery_views.bp)  # 追回
    app.register_blueprint(recovery_api.api_bp)
    seed.register(seed_claims, order=45)
    nav.add(
        "claims.my_claims", _l("Claims"), {"provider"}, order=17, count=lambda s, u: claim_queries.waiting_count(s, u)
    )
    nav.add("recoveries.recovery_list", _l("Recoveries"), {"operator", "authority", "finance"}, order=18)
    nav.add(
        "claims.staff_claims",
        _l("Claims"),
        {"operator", "authority"},
        order=17,
        count=lambda s, u: claim_queries.waiting_count(s, u),
    )
    # 拨付申请: the authority sends, the finance bureau (财政局) pays or returns; it lands on its requests
    nav.add(
        "claims.payment_requests_page",
        _l("Payment requests"),
        {"authority", "finance"},
        order=18,
        count=lambda s, u: requests.sent_count(s, u) if u.role == "finance" else 0,
    )
    nav.land("finance", "claims.payment_requests_page")
    labels.add(
        {
            "claim": _l("claim"),
            "approved": _l("Approved, to be paid"),
            "disbursed": _l("Paid out"),
            "withdrawn": _l("Withdrawn"),
            "invoice": _l("Invoice"),
            "contract": _l("Contract"),
            "transfer": _l("Transfer record"),
            "usage": _l("Usage evidence"),
            "voucher": _l("The voucher"),
            "voucher_application": _l("The voucher application"),
            "self_payment": _l("Proof of self-payment"),
            "bank_receipt": _l("Bank receipt"),
            "completion": _l("Proof of completion"),
            "project_summary": _l("Project summary"),
            "create_claim": _l("Claim created"),
            "deduct_order": _l("Deduction set (扣减)"),
            "deduct_claim": _l("Deducted, back to the budget"),
            "add_document": _l("Document added"),
            "remove_document": _l("Document removed"),
            "submit_claim": _l("Submitted"),
            "withdraw_claim": _l("Withdrawn"),
            "operator_approve_claim": _l("Approved by the operator"),
            "operator_reject_claim": _l("Rejected by the operator"),
            "authority_approve_claim": _l("Approved by the authority"),
            "authority_reject_claim": _l("Rejected by the authority"),
            "exclude_order": _l("Order taken out"),
            "roll_over": _l("Moved to the next settlement date"),
            "query_claim": _l("Query to the operator"),
            "answer_query": _l("Query answered"),
            "disburse_claim": _l("Payment recorded"),
            "leave_for_refund": _l("Order taken out: the buyer asked for a refund"),
            "held": _l("Held"),
            # 追回
            "recovery": _l("recovery"),
            "open": _l("Open"),
            "settled": _l("Settled"),
            "repayment": _l("Repayment"),
            "set_off": _l("Set off against a payment"),
            "recovering": _l("Being recovered"),
            "open_recovery": _l("Recovery opened (追回)"),
            "record_repayment": _l("Repayment recorded"),
            "set_off_recovery": _l("Set off against a later payment"),
            "settle_recovery": _l("Recovery settled"),
            "set_off_claim": _l("Part of the payment set off against recoveries"),
            "payment_request": _l("payment request"),
            "sent": _l("Sent to the finance bureau"),
            "paid": _l("Transferred"),
            "returned_by_finance": _l("Returned by the finance bureau"),
            "send_payment_request": _l("Payment request sent (拨付申请)"),
            "transfer_payment_request": _l("Transfer recorded"),
            "return_payment_request": _l("Payment request returned"),
            "request_payment": _l("Sent to the finance bureau in a payment request"),
            "payment_request_returned": _l("Payment request returned by the finance bureau"),
        },
        attention={"submitted", "operator_approved", "approved", "draft", "open", "sent"},
        bad={"withdrawn", "held", "returned_by_finance"},
    )
    daily.every_day(app, "claims.roll_over_claims", reviews.roll_over_claims)
    register_export(SETTLEMENT_EXPORT)
    register_export(PAYMENT_REQUEST_EXPORT)
    register_export(PAYMENT_REQUESTS_EXPORT)

    @app.cli.command("roll-over-claims")
    def roll_over_claims_command() -> None:
        """Move submitted claims whose settlement date has passed to the next date (also done by the
        first request of each day)."""
        with app.extensions["shop.sessions"]() as session:
            n = reviews.roll_over_claims(session)
        click.echo(f"{n} claim(s) moved to the next settlement date")

    reconciliation.register()  # ledger-verify holds the wallets against the orders and claims
