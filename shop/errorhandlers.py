"""Every failure has an answer a person or a program can act on: an RFC 9457 problem for the API,
a page with the message for people. Bad input is never a 500."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from shop.errors import DomainError
from shop.i18n import _l
from shop.web import is_api_request, is_htmx

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "validation_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "validation_error", 413: "validation_error", 415: "validation_error"}


def problem_response(error: DomainError):  # type: ignore[no-untyped-def]
    from flask import jsonify
    response = jsonify(error.problem())
    response.status_code = error.status
    response.mimetype = "application/problem+json"
    if error.code == "too_many_attempts":
        response.headers["Retry-After"] = str(error.extra.get("retry_after", 60))
    return response


def _page(error: DomainError):  # type: ignore[no-untyped-def]
    template = "_error_fragment.html" if is_htmx() else "error.html"
    return render_template(template, error=error), error.status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):  # type: ignore[no-untyped-def]
        _rollback()
        return problem_response(error) if is_api_request() else _page(error)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):  # type: ignore[no-untyped-def]
        return _page(DomainError("validation_error", _l(
            "The form had expired. Nothing was changed: please go back, reload the page and send it again."),
            status=400))

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
        log.exception("unhandled error on %s %s", request.method, request.path)
        _rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.config.get("TESTING") and not app.config.get("TEST_HIDE_500"):
            raise error
        from flask import jsonify
        if is_api_request():
            response = jsonify({"type": "about:blank", "title": "Internal Server Error", "status": 500,
                                "detail": "Something went wrong on our side; nothing was changed.",
                                "code": "internal_error"})
            response.status_code = 500
            response.mimetype = "application/problem+json"
            return response
        return render_template("error.html", error=None), 500


def _rollback() -> None:
    from flask import g
    session = g.get("db_session")
    if session is not None:
        session.rollback()
