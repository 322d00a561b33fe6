"""Template helpers: money and dates for people, the navigation, assets from a CDN with SRI and a
local fallback, and the security headers of every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from shop import LANGUAGES, jurisdictions, labels, nav, panels
from shop.money import fen_to_yuan_text, format_fen
from shop.web import local_referrer

# Pinned front-end assets: the CDN copy must be byte-identical to the local one (a test checks the
# hash of the local file against the integrity attribute).
ASSETS = {
    "htmx": {
        "cdn": "https://cdn.jsdelivr.net/npm/htmx.org@2.0.8/dist/htmx.min.js",
        "local": "vendor/htmx-2.0.8.min.js",
        "integrity": "sha384-/TgkGk7p307TH7EXJDuUlgG3Ce1UVolAOFopFekQkkXihi5u/6OCvVKyz1W+idaz",
        "global": "htmx",
    },
}


def _nav_items() -> list[dict[str, Any]]:
    from shop.web import db_session

    role = current_user.role.value if current_user.is_authenticated else None
    out = []
    for item in nav.items_for(role):
        count = item.count(db_session(), current_user) if item.count and current_user.is_authenticated else None
        out.append(
            {
                "endpoint": item.endpoint,
                "label": item.label,
                "count": count,
                "active": request.endpoint == item.endpoint,
            }
        )
    return out


def current_locale() -> str:
    """``zh_CN`` or ``en`` (Babel spells Chinese ``zh_Hans_CN``)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def _date(value: dt.date | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value else ""


def _datetime(value: dt.datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def _url_with(**changes: Any) -> str:
    """This page's URL with some query arguments changed (for paging and filters)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(yuan=format_fen, yuan_input=fen_to_yuan_text, date=_date, datetime=_datetime)
    app.jinja_env.add_extension("jinja2.ext.do")
    # globals, so that imported macros see them too
    app.jinja_env.globals.update(
        nav_items=_nav_items,
        languages=LANGUAGES,
        current_locale=current_locale,
        csp_nonce=lambda: g.get("csp_nonce", ""),
        assets=ASSETS,
        url_with=_url_with,
        label=labels.label,
        tone=labels.tone,
        back_url=lambda: local_referrer(url_for("shop.home")),
        panels=panels.panels,
        jurisdiction_name=jurisdictions.name,
    )

    @app.context_processor
    def _context() -> dict[str, Any]:
        return {"assets_from_cdn": current_app.config["ASSETS_FROM_CDN"]}

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if current_app.config.get("HSTS_SECONDS"):
            # production is served over TLS only (behind the proxy): browsers never try plain http again
            response.headers.setdefault("Strict-Transport-Security", f"max-age={current_app.config['HSTS_SECONDS']}")
        if response.mimetype == "text/html":
            from urllib.parse import urlsplit

            stripe_js = current_app.config.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/"
            js = urlsplit(stripe_js)
            # the exact scripts, not their hosts: a CDN serves anyone's files
            scripts = [stripe_js] + (
                [a["cdn"] for a in ASSETS.values()] if current_app.config["ASSETS_FROM_CDN"] else []
            )
            response.headers.setdefault(
                "Content-Security-Policy",
                f"default-src 'self'; script-src 'self' 'nonce-{g.get('csp_nonce', '')}' {' '.join(scripts)}; "
                f"style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self' {js.scheme}://{js.netloc}; "
                f"connect-src 'self' {current_app.config.get('STRIPE_API_BASE') or 'https://api.stripe.com'}; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
            )
        return response
