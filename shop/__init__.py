"""Yunquan (云券): the marketplace of a provincial cloud-use voucher programme.

``create_app()`` is the WSGI entry point (``gunicorn 'shop:create_app()'``) and the composition root:
the only place that knows every area.
"""

from __future__ import annotations

import importlib
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from shop.config import load_config
from shop.db import make_engine, make_session_factory, reset_transaction_mode, set_read_only_transactions

ROOT = Path(__file__).resolve().parent.parent
# The foundation first, then the areas in the order their imports allow; oversight reads them all.
AREAS = ("shop", "orgs", "catalog", "wallet", "orders", "claims", "oversight")
LANGUAGES = {"zh_CN": "中文", "en": "English"}

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def _select_locale() -> str:
    if not has_request_context():
        return "zh_CN"
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        return "en" if best == "en" else "zh_CN"
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "zh_CN"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder=str(ROOT / "static"))
    from shop.web import ShopJSONProvider, ShopRequest, register_converters

    app.request_class = ShopRequest
    register_converters(app)
    app.config.update(load_config(app.instance_path))
    app.json = ShopJSONProvider(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable in JSON
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if hops := int(app.config.get("PROXY_FIX") or 0):
        # the client address from the last ``hops`` entries of X-Forwarded-For (each proxy appends
        # its peer); scheme and host from the proxy next to the app
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1, x_host=1)  # type: ignore[method-assign]

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["shop.engine"] = engine
    app.extensions["shop.sessions"] = make_session_factory(engine, {"audit_key": app.config["AUDIT_KEY"]})

    translation_dirs = [str(ROOT / pkg / "translations") for pkg in AREAS if (ROOT / pkg / "translations").is_dir()]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    babel.init_app(app, locale_selector=_select_locale)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below for pages; the API uses tokens
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "shop.login"

    from shop import cli, daily, errorhandlers, export_views, exports, templating, views, web  # noqa: F401

    @login_manager.user_loader
    def _load_user(session_id: str) -> Any:
        from shop.auth import user_for_session

        return user_for_session(web.db_session(), session_id)

    @app.before_request
    def _before() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)
        # GET pages and calls only read: on SQLite they must not hold the write lock
        g.transaction_mode = set_read_only_transactions(request.method in ("GET", "HEAD", "OPTIONS"))
        if app.config.get("WTF_CSRF_ENABLED", True) and not web.is_api_request():
            csrf.protect()

    app.teardown_request(web.close_db_session)
    app.teardown_appcontext(web.close_db_session)

    @app.teardown_request
    def _reset_mode(_exc: BaseException | None) -> None:
        token = g.pop("transaction_mode", None)
        if token is not None:
            reset_transaction_mode(token)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    app.register_blueprint(export_views.bp)
    views.init_nav()
    daily.every_day(
        app,
        "shop.remove_old_exports",
        lambda session, today: exports.remove_old_exports(session, app.config["EXPORT_DIR"], today),
    )
    from shop import audit_chain

    daily.every_day(
        app,
        "shop.audit_checkpoint",  # the head as the public notice shows it, signed daily
        lambda session, today: (
            audit_chain.daily_checkpoint(session, today) if app.config.get("AUDIT_CHECKPOINT_DAILY", True) else None
        ),
    )
    errorhandlers.init_app(app)
    templating.init_app(app)
    cli.init_app(app)

    # The areas, each adding its pages, API, navigation, seed data and jobs.
    for name in AREAS[1:]:
        importlib.import_module(name).init_app(app)
    return app
