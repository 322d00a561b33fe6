"""Oversight (五, 数据铁笼; issue 7): the programme dashboard and its report, provider scorecards, the
public notice of grants and disbursements with objections, and complaints. ``init_app`` registers the area
(pages, API, navigation, labels, the audit listener that publishes notices, demo data, the daily backfill
and its command); it reads every other area and nothing imports it."""

from __future__ import annotations

import click
from flask import Flask

from shop import daily, hooks, labels, nav, seed
from shop.i18n import _l


def init_app(app: Flask) -> None:
    from oversight import complaints, notices, services, views
    from oversight.api import api_bp
    from oversight.demo import seed_oversight

    app.register_blueprint(views.bp)
    app.register_blueprint(api_bp)
    views.init_filters(app)
    hooks.on_audit(services.on_audit_entry)
    seed.register(seed_oversight, order=60)

    everyone = {"anonymous", "enterprise", "provider", "operator", "authority"}
    nav.add(
        "oversight.notices",
        _l("Public notice"),
        everyone,
        order=7,
        count=lambda s, u: notices.open_objections_count(s) if u.role.value == "operator" else 0,
    )
    nav.add(
        "oversight.complaints",
        _l("Complaints"),
        {"enterprise", "provider", "operator", "authority"},
        order=70,
        count=lambda s, u: complaints.complaints_waiting(s, u),
    )
    nav.add("oversight.dashboard", _l("Oversight"), {"operator", "authority"}, order=92)
    labels.add(
        {
            # notices and objections
            "notice": _l("public notice"),
            "objection": _l("objection"),
            "quota_grant": _l("Quota granted"),
            "disbursement": _l("Disbursement"),
            "open": _l("Open"),
            "answered": _l("Answered"),
            "publish_notice": _l("Published for notice"),
            "lengthen_notice": _l("Notice period lengthened"),
            "withdraw_notice": _l("Withdrawn from the notice"),
            "lodge_objection": _l("Objection lodged"),
            "answer_objection": _l("Objection answered"),
            # complaints
            "complaint": _l("complaint"),
            "in_progress": _l("In progress"),
            "resolved": _l("Resolved"),
            "file_complaint": _l("Complaint filed"),
            "reply_to_complaint": _l("Message added"),
            "take_up_complaint": _l("Taken up by the operator"),
            "resolve_complaint": _l("Resolved by the operator"),
            "service_quality": _l("Service quality"),
            "delivery": _l("Delivery"),
            "billing": _l("Price and payment"),
            "other": _l("Other"),
            # subjects of the audit trail
            "audit": _l("audit trail"),
            "holiday": _l("working-day calendar"),
            "verify_chain": _l("Chain verified"),
        },
        attention={"open", "in_progress"},
    )

    # grants and disbursements made before this area existed (or by a process without it) are
    # published on the first request of the day
    daily.every_day(app, "oversight.publish_missing_notices", services.publish_missing_notices)

    @app.cli.command("publish-notices")
    def publish_notices() -> None:
        """Publish every quota grant and disbursement that is not in the public notice yet."""
        with app.extensions["shop.sessions"]() as session:
            n = services.publish_missing_notices(session)
        click.echo(f"{n} notice entr{'y' if n == 1 else 'ies'} published")
