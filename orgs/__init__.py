"""Organisations (第十条–第十四条): enterprises and cloud providers register, are certified by the
operator, may be affiliated with each other, blacklisted, suspended or expelled. Registered by
``shop.create_app``."""

from __future__ import annotations

import click
from flask import Flask

from shop import daily, labels, nav, panels, seed
from shop.i18n import _l

LABELS = {
    # organisation statuses
    "pending_certification": _l("Awaiting documents"),
    "under_review": _l("Under review"),
    "certified": _l("Certified"),
    "rejected": _l("Rejected"),
    "exiting": _l("Leaving"),
    "exited": _l("Left"),
    "expelled": _l("Expelled"),
    "suspended": _l("Suspended"),
    # sanctions (orgs.sanctions.sanction_of) and their actions
    "blacklisted": _l("On the blacklist"),
    "suspend": _l("Suspended"),
    "reinstate": _l("Reinstated"),
    "resume_exit": _l("Reinstated, still leaving"),
    "expel": _l("Expelled"),
    "add_to_blacklist": _l("Put on the blacklist"),
    "remove_from_blacklist": _l("Taken off the blacklist"),
    "end_ban": _l("Ban over: its term has ended"),
    "register": _l("Registered"),
    "submit_certification": _l("Submitted for certification"),
    "add_affiliation": _l("Affiliation added"),
    "remove_affiliation": _l("Affiliation removed"),
    "request_exit": _l("Exit requested"),
    "complete_exit": _l("Left the platform"),
    # subjects
    "organisation": _l("organisation"),
    "blacklist": _l("blacklist"),
}


def init_app(app: Flask) -> None:
    from orgs import api, blacklist, demo, sanctions, services, views
    from orgs.rules import lookup_region

    app.register_blueprint(views.bp)
    app.register_blueprint(api.api_bp)
    labels.add(
        LABELS,
        attention={"under_review", "pending_certification", "exiting"},
        bad={"rejected", "expelled", "exited", "suspended", "blacklisted"},
    )

    nav.add("orgs.my_organisation", _l("My organisation"), {"enterprise", "provider"}, order=90)
    nav.add(
        "orgs.review_queue",
        _l("Certification"),
        {"operator"},
        order=10,
        count=lambda s, u: services.review_queue_count(s, u),
    )
    nav.add("orgs.organisations", _l("Organisations"), {"operator", "authority"}, order=80)
    panels.add("signed_out", "orgs/_register_button.html")
    panels.add("login", "orgs/_login_register.html")
    panels.add("home_actions", "orgs/_home_actions.html")
    panels.add("footer", "orgs/_footer_negative_list.html")  # 负面清单, public
    seed.register(demo.seed_organisations, order=10, logins=demo.DEMO_LOGINS)

    def region_name(code: str | None) -> str:
        region = lookup_region(code or "")
        return region.name if region else (code or "")

    app.jinja_env.filters["region"] = region_name

    daily.every_day(app, "orgs.end_suspensions", sanctions.end_suspensions)

    @app.cli.command("end-suspensions")
    def end_suspensions_command() -> None:
        """Reinstate the organisations whose suspension ends today or ended before (run daily; the
        first request of each day does it too)."""
        with app.extensions["shop.sessions"]() as session:
            n = sanctions.end_suspensions(session)
        click.echo(f"{n} suspension(s) ended")

    daily.every_day(app, "orgs.end_bans", blacklist.end_bans)

    @app.cli.command("end-bans")
    def end_bans_command() -> None:
        """Take off the blacklist the bans whose term is over (run daily; the first request of each
        day does it too)."""
        with app.extensions["shop.sessions"]() as session:
            n = blacklist.end_bans(session)
        click.echo(f"{n} ban(s) ended")
