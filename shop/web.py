"""Shared web pieces: the request's database session, who may call a page or an API endpoint, the
JSON API decorator (auth, problems, OpenAPI entry), and rendering helpers.

Every view declares its access with ``@public``, ``@signed_in`` or ``@roles_required(...)`` for pages
and ``@api(...)`` for the API; a test walks the URL map and fails on a view that declares nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Request, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask.json.provider import _default as _flask_json_default
from flask_babel.speaklater import LazyString
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError
from werkzeug.utils import cached_property

from shop.errors import DomainError, Forbidden
from shop.i18n import _l
from shop.inputs import LARGEST, without_control_characters
from shop.states import Role


class ShopRequest(Request):
    """Flask's request, with query arguments cleaned once for every page and call: nobody types a
    control character into a URL on purpose, and PostgreSQL refuses to compare text holding NUL (it
    was a 500 on any filter). Form and JSON fields are checked by ``Inputs`` instead, which says so."""

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:  # type: ignore[override]
        return ImmutableMultiDict(
            [(without_control_characters(k), without_control_characters(v)) for k, v in super().args.items(multi=True)]
        )


class IdConverter(IntegerConverter):
    """Every route's ``<int:…>``: a whole number up to ``LARGEST`` unless the route says less, so that
    a path past any id is a 404 for everyone (SQLite and PostgreSQL overflow at 2^63; it was a 500)."""

    def __init__(
        self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits, min, LARGEST if max is None else max, signed)

    def to_python(self, value: str) -> Any:
        # Out of range is "nothing here" at once: werkzeug's ValidationError would let the matcher go
        # on, and where the same path has a rule for another method, answer 405 instead.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def register_converters(app: Any) -> None:
    """Before any blueprint: ``<int:…>`` bounded for every area. Narrower bounds where the column is
    narrower: ``<int(max=2147483647):year>`` (a 32-bit column on PostgreSQL: 2^31 was a 500)."""
    app.url_map.converters["int"] = IdConverter


# A request body deeper than this is refused (the deepest body of the API nests 4 levels); much
# deeper, Python's parser raises RecursionError, which was a 500.
JSON_MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class ShopJSONProvider(DefaultJSONProvider):
    """Flask's JSON, writing lazy messages as their text, and refusing as invalid JSON (so 422 for
    the API) what no use case can take: a body nested past ``JSON_MAX_DEPTH`` and lone surrogates
    (``"\\udc00"``), which no database stores as text."""

    @staticmethod
    def default(o: Any) -> Any:
        # a lazy message is text in JSON (Flask would take its ``__html__``, which escapes it)
        if isinstance(o, LazyString):
            return str(o)
        return _flask_json_default(o)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error
        stack = [(data, 1)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, str):
                if _SURROGATE.search(value):
                    raise ValueError("JSON text holds a lone surrogate")
            elif isinstance(value, (dict, list)):
                if depth > JSON_MAX_DEPTH:
                    raise ValueError("JSON nested too deeply")
                items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
                stack.extend((item, depth + 1) for item in items)
        return data


def db_session() -> Session:
    """The session of this request (closed when the request ends)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["shop.sessions"]()
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


# -- access declarations --------------------------------------------------------------------------


def _declare(view: Callable, *, public: bool, roles: Iterable[str] | None) -> None:
    view._access = {"public": public, "roles": frozenset(Role(r) for r in roles) if roles else None}


def public(view: Callable) -> Callable:
    """A page anyone may see."""
    _declare(view, public=True, roles=None)
    return view


def roles_required(*roles: Role | str) -> Callable:
    """A page for signed-in people of these roles; none given: anyone signed in."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.method == "GET" and not is_htmx():
                    return redirect(url_for("shop.login", next=request.full_path.rstrip("?")))
                abort(401)
            if roles and current_user.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)

        _declare(wrapper, public=False, roles=roles or None)
        return wrapper

    return decorator


signed_in = roles_required()


def actor() -> Any:
    """The signed-in user of a page request (or None)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


# -- the JSON API ---------------------------------------------------------------------------------


def _bearer_user() -> Any:
    from shop.auth import token_for

    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise DomainError("unauthorized", _l("Send the token as: Authorization: Bearer <token>."))
    token = token_for(db_session(), raw.strip())
    if token is None:
        raise DomainError("unauthorized", _l("The token is unknown, has expired or was revoked."))
    g.api_token = token
    return token.user


def api(
    *,
    summary: str,
    roles: Iterable[Role | str] | None = None,
    public: bool = False,
    status: int = 200,
    body: dict | None = None,
    multipart: dict | None = None,
    query: dict | None = None,
    response: dict | None = None,
    errors: Iterable[str] = (),
    binary: str | Iterable[str] | None = None,
    refused: Any = None,
) -> Callable:
    """Declare a JSON API endpoint. The view is called as ``view(actor, **url_args)`` and returns a
    JSON-able value (or a Response); a DomainError becomes an RFC 9457 problem. ``body``,
    ``multipart``, ``query`` and ``response`` are JSON Schemas for the OpenAPI document; ``binary`` is
    the media type (or types) of a file the endpoint answers with; ``refused`` what another role is
    told with its 403 (where the call once was theirs)."""
    role_set = frozenset(Role(r) for r in roles) if roles else None

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            user = _bearer_user()
            if user is None and not public:
                raise DomainError("unauthorized", _l("Sign in first: POST /api/v1/tokens, then send the token."))
            if role_set and user is not None and user.role not in role_set:
                raise Forbidden(refused)
            g.api_user = user
            result = view(user, **kwargs)
            if isinstance(result, current_app.response_class):
                return result
            response_ = jsonify(result)
            response_.status_code = status
            return response_

        wrapper._access = {"public": public, "roles": role_set, "api": True}
        wrapper._openapi = {
            "summary": summary,
            "status": status,
            "body": body,
            "multipart": multipart,
            "query": query,
            "response": response,
            "errors": list(errors),
            "public": public,
            "roles": sorted(role_set) if role_set else None,
            "binary": [binary] if isinstance(binary, str) else list(binary) if binary else None,
        }
        return wrapper

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a validation problem."""
    data = request.get_json(silent=True)
    if data is None:
        if request.mimetype == "application/json" or request.data:
            raise DomainError("validation_error", _l("The body is not valid JSON."))
        return {}
    if not isinstance(data, dict):
        raise DomainError("validation_error", _l("The body must be a JSON object."))
    return data


# -- pages ------------------------------------------------------------------------------------------

# Browsers drop tabs and line breaks from a URL (and a header cannot hold them): ``/\t/evil.example``
# is ``//evil.example`` to them. Removed before a redirect target is judged.
_NOT_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


def local_target(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback``: the one check for every redirect
    whose target comes from a request (``next``, a form field, the Referer)."""
    if not target:
        return fallback
    cleaned = _NOT_IN_URLS.sub("", target)
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned[1:2] in ("/", "\\") or "\\" in parts.path:
        return fallback
    return cleaned


def local_referrer(fallback: str) -> str:
    """The page the request came from when it is a page of this site (its path and query), else
    ``fallback``."""
    referrer = request.referrer
    if not referrer:
        return fallback
    parts = urlsplit(_NOT_IN_URLS.sub("", referrer))
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower():
        return fallback
    return local_target(parts.path + (f"?{parts.query}" if parts.query else ""), fallback)


def render_form(template: str, error: DomainError | None = None, status: int | None = None, **context: Any) -> Any:
    """Render a page whose form failed: the submitted values come back, each message beside its
    field, and the status says what happened (422 for bad input)."""
    context.setdefault("form", request.form)
    errors = dict(error.errors) if error else {}
    if error and not errors:
        context.setdefault("form_error", error.detail)
    return render_template(template, errors=errors, **context), status or (error.status if error else 200)


def send_upload(stored_name: str, content_type: str, download_name: str) -> Any:
    """An uploaded file from ``UPLOAD_DIR``, after the caller checked who may read it: never cached,
    shown inline in a sandbox (or downloaded with ``?download=1``)."""
    from flask import send_file

    from shop.uploads import clean_file_name, stored_path

    path = stored_path(current_app.config["UPLOAD_DIR"], stored_name)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=content_type,
        download_name=clean_file_name(download_name),
        as_attachment=request.args.get("download") == "1",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; object-src 'self'; sandbox; frame-ancestors 'self'"
    )
    return response
