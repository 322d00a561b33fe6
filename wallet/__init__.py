"""The programme, quota applications and the voucher ledger (issue 4). Registered by
``shop.create_app``."""

from __future__ import annotations

import sys

import click
from flask import Flask

from shop import daily, hooks, labels, nav, seed
from shop.i18n import _l


def init_app(app: Flask) -> None:
    from wallet import (  # noqa: F401 (routes)
        api,
        grant_reading,
        grant_upkeep,
        grant_views,
        grants,
        policy_api,
        policy_views,
        programmes,
        services,
        spending,
        views,
    )
    from wallet.demo import seed_programme
    from wallet.demo_baiyun import seed_baiyun

    app.register_blueprint(views.bp)
    app.register_blueprint(policy_views.bp)
    app.register_blueprint(api.api_bp)
    grant_views.init_app(app)  # programmes as policy: the enterprise's and the operator's pages
    hooks.set_ratio_source(programmes.programme_ratios)
    hooks.set_buyer_ratio_source(spending.buyer_ratios)
    seed.register(seed_programme, order=30)
    seed.register(seed_baiyun, order=35)

    nav.add("wallet.my_wallet", _l("My vouchers"), {"enterprise"}, order=20)
    nav.add(
        "wallet.application_queue",
        _l("Quota applications"),
        {"operator"},
        order=20,
        count=lambda s, u: services.pending_count(s, u),
    )
    nav.add("grants.programmes", _l("Apply for vouchers"), {"enterprise"}, order=21)
    nav.add(
        "grants.reconsideration_queue",
        _l("复核 requests"),
        {"operator"},
        order=21,
        count=lambda s, u: grant_reading.open_reconsideration_count(s, u),
    )
    nav.add("wallet.programmes", _l("Programme"), {"operator", "authority"}, order=30)
    labels.add(
        {
            "apply": _l("Applied for a quota"),
            "add_application_document": _l("Evidence of a fact added"),
            "grant": _l("Granted"),
            "create_programme": _l("Programme created"),
            "update_programme": _l("Programme changed"),
            "change_policy": _l("Policy changed (a new version)"),
            "expire_quotas": _l("Unused vouchers expired"),
            "publish": _l("Published before it takes effect"),
            "return": _l("Returned for completion"),
            "complete": _l("Completed after its return"),
            "issue": _l("Took effect after the notice"),
            "hold": _l("Held by a 复核"),
            "uphold": _l("复核 upheld: grant cancelled"),
            "dismiss": _l("复核 dismissed"),
            "release": _l("Unused part given back"),
            "reclaim": _l("Reclaimed (unused)"),
            "request_reconsideration": _l("复核 requested"),
            "accept_reconsideration": _l("复核 accepted"),
            "refused_reconsideration": _l("复核 not accepted"),
            "upheld_reconsideration": _l("复核 upheld"),
            "dismissed_reconsideration": _l("复核 dismissed"),
        }
    )
    labels.add(
        {
            "pending": _l("Pending"),
            "returned": _l("Returned for completion"),
            "in_notice": _l("In its notice"),
            "on_hold": _l("Held by a 复核"),
            "reconsideration": _l("复核"),
            "release_grant": _l("Given back to the budget"),
            "allocate_block": _l("Budget block set aside"),
            "granted": _l("Granted"),
            "quota_application": _l("quota application"),
            "programme": _l("programme"),
            "fund_programme": _l("Programme funded"),
            "defund_programme": _l("Budget lowered"),
            "reserve_quota": _l("Reserved for an application"),
            "grant_quota": _l("Quota granted"),
            "release_reservation": _l("Reservation returned"),
            "hold_for_order": _l("Used in an order"),
            "release_order": _l("Returned from an order"),
            "release_checkout": _l("Returned from a failed payment"),
            "unclaim": _l("Returned from a claim"),
            "disburse": _l("Paid out"),
            "expire": _l("Expired at year end"),
        },
        attention={"pending", "returned", "in_notice", "on_hold"},
    )

    # 第十六条: quotas expire at the end of their year, on the first request after it, without anyone
    # running a command on 31 December
    daily.every_day(app, "wallet.expire_quotas", lambda session, _today: services.expire_past_years(session))
    # a grant published before it takes effect does so when its notice (and 复核 window) has passed;
    # a grant the policy deems abandoned after its days unused goes back to the budget
    daily.every_day(app, "wallet.issue_after_notice", lambda session, today: grants.issue_after_notice(session, today))
    daily.every_day(app, "wallet.reclaim_unused", lambda session, today: grant_upkeep.reclaim_unused(session, today))
    daily.every_day(
        app, "wallet.lapse_uncompleted", lambda session, today: grant_upkeep.lapse_uncompleted(session, today)
    )

    @app.cli.command("expire-quotas")
    def expire_quotas() -> None:
        """Move every unused voucher of an ended year to expired (also done on the first request)."""
        with app.extensions["shop.sessions"]() as session:
            total = services.expire_past_years(session)
        from shop.money import format_fen

        click.echo(f"expired {format_fen(total)}")

    @app.cli.command("ledger-verify")
    def ledger_verify() -> None:
        """Recompute every balance from the ledger and hold the wallets against the orders, claims and
        quota applications; exit 1 on any difference, the first one first."""
        from shop.db import one_snapshot, read_only_transactions
        from wallet.ledger_check import verify

        with read_only_transactions(), app.extensions["shop.sessions"]() as session:
            one_snapshot(session)
            report = verify(session)
        if report.ok:
            click.echo(
                f"ledger balanced: {report.entries} entries, every balance matches its postings; "
                f"{len(report.compared_keys)} accounts match the orders, claims and quota applications"
            )
            return
        for entry_id in report.unbalanced_entries:
            click.echo(f"entry {entry_id}: postings do not sum to zero", err=True)
        for code, stored, computed in report.mismatched_accounts:
            click.echo(f"account {code}: balance {stored} but postings sum to {computed}", err=True)
        for code, stored in report.negative_accounts:
            click.echo(f"account {code}: negative balance {stored}", err=True)
        for difference in report.differences:
            click.echo(
                f"account {difference.account}: ledger {difference.ledger_fen}, business "
                f"{difference.business_fen} (fen; {difference.business})",
                err=True,
            )
        sys.exit(1)
