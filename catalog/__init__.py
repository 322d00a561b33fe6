"""The catalogue (第十一条, 第十二条, 第十七条): providers list products at or below market price, the
operator and then the authority review them, everyone browses and searches; providers leave with
notice or are expelled. Registered by ``shop.create_app``."""

from __future__ import annotations

import click
from flask import Flask
from markupsafe import Markup

from shop import daily, labels, nav, panels
from shop import seed as shop_seed
from shop.i18n import _l

LABELS = {
    # product statuses
    "draft": _l("Draft"),
    "submitted": _l("Awaiting the operator"),
    "operator_approved": _l("Awaiting the authority"),
    "published": _l("Published"),
    "delisted": _l("Delisted"),
    # layers (第十一条)
    "infrastructure": _l("Infrastructure"),
    "platform": _l("Platform"),
    "application": _l("Application"),
    # categories
    "compute": _l("Compute"),
    "storage": _l("Storage"),
    "network": _l("Network"),
    "security": _l("Security"),
    "database": _l("Database"),
    "big_data": _l("Big-data analytics"),
    "iot": _l("IoT platform"),
    "devops": _l("Software development platform"),
    "production": _l("Production management"),
    "rnd_design": _l("R&D and design"),
    "other_apps": _l("Other applications"),
    # subjects and actions
    "product": _l("product"),
    "operator_approve": _l("Approve"),
    "authority_approve": _l("Approve and publish"),
    "delist": _l("Delist"),
    "submit": _l("Submit"),
}

# The fields of a listing, as reviewers read them in a revision's difference.
FIELD_LABELS = {
    "name": _l("Product name"),
    "layer": _l("Service layer"),
    "category": _l("Category"),
    "unit": _l("Billing unit"),
    "price_fen": _l("Unit price"),
    "market_price_fen": _l("Market reference price"),
    "evidence": _l("Market price evidence"),
    "accepts_vouchers": _l("Cloud-use vouchers"),
    "description": _l("Description"),
}


def init_app(app: Flask) -> None:
    from catalog import api, providers, queries, review_views, views  # noqa: F401 (review_views: routes on views.bp)
    from catalog.demo import seed_catalogue
    from catalog.text import highlight, plain_summary, render_description, snippet
    from shop.web import actor

    app.register_blueprint(views.bp)  # with the staff's pages of ``review_views`` on it
    app.register_blueprint(api.api_bp)
    labels.add({"create": _l("Listing created"), "edit": _l("Listing edited")})
    labels.add(LABELS, attention={"draft", "submitted", "operator_approved"}, bad={"delisted"})

    everyone = {"anonymous", "enterprise", "provider", "operator", "authority"}
    nav.add("catalog.catalogue", _l("Catalogue"), everyone, order=5)
    nav.add(
        "catalog.my_products",
        _l("My products"),
        {"provider"},
        order=20,
        count=lambda s, u: queries.rejected_count(s, u),
    )
    nav.add(
        "catalog.review_queue",
        _l("Product reviews"),
        {"operator", "authority"},
        order=15,
        count=lambda s, u: queries.review_queue_count(s, u),
    )
    shop_seed.register(seed_catalogue, order=20)
    panels.add("home", "catalog/_home.html")  # search, layers, the newest products
    panels.add("organisation", "catalog/_org_exit.html")  # a provider's products and its exit
    panels.add("organisation_detail", "catalog/_org_staff.html")  # its products for staff, expulsion

    app.jinja_env.filters["description"] = lambda text: Markup(render_description(text or ""))  # sanitised
    app.jinja_env.filters["summary"] = plain_summary
    app.jinja_env.filters["snippet"] = snippet
    app.jinja_env.filters["highlight"] = lambda text, terms: Markup(
        highlight(text or "", tuple(terms or ()))
    )  # escaped
    app.jinja_env.globals["catalogue_highlights"] = _highlights
    app.jinja_env.globals["field_label"] = lambda name: FIELD_LABELS.get(name, name)
    # what the catalogue's panels on the organisations' pages may offer (``catalog.providers``)
    app.jinja_env.globals["organisation_actions"] = lambda org: providers.organisation_actions(actor(), org)
    app.jinja_env.globals["leaving_on"] = providers.leaving_on
    app.jinja_env.globals["has_left"] = providers.has_left

    # 第十二条 takes effect on a date, with or without a scheduler (the catalogue filters by the date
    # anyway; this brings the recorded states in line)
    daily.every_day(app, "catalog.settle_exits", providers.settle_exits)

    @app.cli.command("settle-exits")
    def settle_exits_command() -> None:
        """Complete the provider exits whose day has come (run daily; the catalogue hides their
        products from that day on in any case)."""
        with app.extensions["shop.sessions"]() as session:
            n = providers.settle_exits(session)
        click.echo(f"{n} provider exit(s) completed")


def _highlights() -> dict:
    """For the home page (``catalog/_home.html``): counts per layer, the newest products, the ratios."""
    from catalog.search import catalogue_highlights
    from shop import clock, policy
    from shop.hooks import layer_ratios
    from shop.web import db_session

    facets, newest = catalogue_highlights(db_session(), limit=4)
    return {
        "facets": facets,
        "newest": newest,
        "layers": policy.current().categories,
        "ratios": layer_ratios(db_session(), clock.today().year),
    }
