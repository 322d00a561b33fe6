"""Every failure has an answer a person or a program can act on: an RFC 9457 problem for the API,
a page with the message for people. Bad input is never a 500."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import HTTPException

from shop.errors import DomainError
from shop.i18n import _l
from shop.web import is_api_request, is_htmx

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "validation_error",
    413: "validation_error",
    415: "validation_error",
}


def problem_response(error: DomainError):  # type: ignore[no-untyped-def]
    from flask import jsonify

    response = jsonify(error.problem())
    response.status_code = error.status
    response.mimetype = "application/problem+json"
    _retry_after(response, error)
    return response


def _retry_after(response, error: DomainError):  # type: ignore[no-untyped-def]
    if error.code in ("too_many_attempts", "busy"):
        response.headers["Retry-After"] = str(error.extra.get("retry_after", 60))
    return response


def _page(error: DomainError):  # type: ignore[no-untyped-def]
    from flask import make_response

    template = "_error_fragment.html" if is_htmx() else "error.html"
    return _retry_after(make_response(render_template(template, error=error), error.status), error)


# The database could not answer in time; the transaction was rolled back and the request can be
# sent again: SQLite's write lock held past its busy timeout, PostgreSQL's lock, serialisation and
# deadlock failures (their SQLSTATEs), and a connection pool with no connection free.
_BUSY_SQLSTATES = {"55P03", "40001", "40P01"}
BUSY_RETRY_AFTER = 10  # seconds
# Never "nothing was changed": after a call to the payment service that may be false.
BUSY_MESSAGE = _l(
    "The service is too busy to answer right now. Please try again in a moment; "
    "if you were paying, check your orders before paying again."
)
UNEXPECTED_MESSAGE = _l(
    "Something went wrong on our side. Please try again; if you were paying, check your orders before paying again."
)


def is_busy(error: BaseException) -> bool:
    if isinstance(error, SQLAlchemyTimeoutError):
        return True
    if isinstance(error, OperationalError):
        orig = error.orig
        return (
            "database is locked" in str(orig)
            or "database table is locked" in str(orig)
            or getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES
        )
    return False


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):  # type: ignore[no-untyped-def]
        _rollback()
        return problem_response(error) if is_api_request() else _page(error)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):  # type: ignore[no-untyped-def]
        return _page(
            DomainError(
                "validation_error",
                _l("The form had expired. Nothing was changed: please go back, reload the page and send it again."),
                status=400,
            )
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        code = _HTTP_CODES.get(status)
        if code is None:
            return error
        detail = {
            413: _l("The upload is too large."),
            404: _l("There is nothing at this address."),
            405: _l("This method is not allowed here."),
        }.get(status, error.description)
        domain_error = DomainError(code, detail, status=status)
        return problem_response(domain_error) if is_api_request() else _page(domain_error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        if is_busy(error):
            log.warning("database busy on %s %s: %s", request.method, request.path, error)
            _rollback()
            busy = DomainError("busy", BUSY_MESSAGE, extra={"retry_after": BUSY_RETRY_AFTER})
            if is_api_request():
                return problem_response(busy)
            # rendered without the context processors: they would load the signed-in user, from the
            # database that cannot answer
            from flask import make_response

            page = app.jinja_env.get_template("_error_fragment.html" if is_htmx() else "busy.html").render(error=busy)
            return _retry_after(make_response(page, 503), busy)
        log.exception("unhandled error on %s %s", request.method, request.path)
        _rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.config.get("TESTING") and not app.config.get("TEST_HIDE_500"):
            raise error
        from flask import jsonify

        if is_api_request():
            response = jsonify(
                {
                    "type": "about:blank",
                    "title": "Internal Server Error",
                    "status": 500,
                    "detail": str(UNEXPECTED_MESSAGE),
                    "code": "internal_error",
                }
            )
            response.status_code = 500
            response.mimetype = "application/problem+json"
            return response
        return render_template("error.html", error=None), 500


def _rollback() -> None:
    from flask import g

    session = g.get("db_session")
    if session is not None:
        session.rollback()
