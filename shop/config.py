"""Configuration from the environment (API.md, "Command line and configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shop.policy import POLICIES, TIMEZONE

ENVIRONMENTS = ("production", "development", "testing")
# Development and tests only; production refuses to start without its own AUDIT_KEY.
DEVELOPMENT_AUDIT_KEY = "yunquan-development-audit-key-not-a-secret"


def audit_key_from_environment(env: str) -> str:
    """``AUDIT_KEY``, the audit trail's HMAC key (shop.audit). Kept out of the database so that its
    administrator cannot recompute the chain: required in production, a fixed default elsewhere (so
    that the development server and the command line verify each other's entries)."""
    key = os.environ.get("AUDIT_KEY")
    if env != "production":
        return key or DEVELOPMENT_AUDIT_KEY
    if not key or len(key) < 32 or key == DEVELOPMENT_AUDIT_KEY:
        raise RuntimeError(
            "AUDIT_KEY must be set in production: at least 32 random characters, kept outside "
            "the database (python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def _proxy_hops() -> int:
    """``PROXY_FIX``: how many reverse proxies in front of the app to believe (``1`` behind one nginx);
    unset or ``0``: none, and the ``X-Forwarded-*`` headers anyone can send are ignored."""
    value = os.environ.get("PROXY_FIX", "").strip() or "0"
    if not value.isascii() or not value.isdigit() or int(value) > 10:
        raise RuntimeError(f"PROXY_FIX must be the number of proxies in front of the app (0, 1, 2…), not {value!r}")
    return int(value)


def load_config(instance_path: str) -> dict:
    env = os.environ.get("SHOP_ENV", "production")
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"SHOP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise RuntimeError("SECRET_KEY must be set in production")
        secret = secrets.token_hex(32)
    instance = Path(instance_path)
    deadline = os.environ.get("CONFIRMATION_DEADLINE_DAYS", "6")
    if not deadline.isdigit() or not 1 <= int(deadline) <= 6:
        raise RuntimeError(
            "CONFIRMATION_DEADLINE_DAYS must be a whole number of days from 1 to 6 "
            f"(card holds lapse after 7 days), not {deadline!r}"
        )
    stripe_api_base = os.environ.get("STRIPE_API_BASE") or None
    programme = os.environ.get("PROGRAMME_POLICY", "guizhou")
    if programme not in POLICIES:
        raise RuntimeError(f"PROGRAMME_POLICY must be one of {', '.join(POLICIES)}, not {programme!r}")
    return {
        "SHOP_ENV": env,
        "SECRET_KEY": secret,
        "AUDIT_KEY": audit_key_from_environment(env),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'yunquan.sqlite3'}",
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(instance / "uploads"),
        "EXPORT_DIR": os.environ.get("EXPORT_DIR") or str(instance / "exports"),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", "sk_test_yunquan"),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", "pk_test_yunquan"),
        "STRIPE_API_BASE": stripe_api_base,
        # Stripe.js: from Stripe, or the stand-in a local mock (localstripe) serves
        "STRIPE_JS_URL": f"{stripe_api_base.rstrip('/')}/js.stripe.com/v3/"
        if stripe_api_base
        else "https://js.stripe.com/v3/",
        # Assets come from a CDN with SRI and a local fallback; off in development and tests so
        # that a closed network (a government intranet, this CI) never waits on a CDN.
        "ASSETS_FROM_CDN": os.environ.get("ASSETS_FROM_CDN", "1" if env == "production" else "0") == "1",
        # the programme whose figures the areas apply (shop.policy.POLICIES)
        "PROGRAMME_POLICY": programme,
        # days a provider has to confirm an order before the daily job cancels it (Stripe lets an
        # uncaptured card hold lapse after 7 days)
        "CONFIRMATION_DEADLINE_DAYS": int(deadline),
        "PROXY_FIX": _proxy_hops(),
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "HSTS_SECONDS": 365 * 24 * 3600 if env == "production" else 0,  # Strict-Transport-Security
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": str(TIMEZONE),
        "TESTING": env == "testing",
    }
