"""schemathesis against our own OpenAPI document, for each role: cases generated from the document
(valid and invalid), sent to the app in process, on the demo data. Not one server error, and not one
answer the document does not describe (status code, media type, body).

Bounded for CI: ``SCHEMA_EXAMPLES`` cases per operation and per generation mode (default 12); the
nightly run sets more (docs/reliability.md).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from sqlalchemy import select

from orders.payments import InProcessGateway
from shop import create_app
from shop.accounts import User
from shop.auth import issue_token
from shop.seed import run_all

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "12"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
DEMO_USERS = {
    "enterprise": "enterprise@yunquan.example",
    "provider": "provider@yunquan.example",
    "operator": "operator@yunquan.example",
    "authority": "authority@yunquan.example",
}
# Signing in with generated credentials would only exercise the sign-in throttle (and lock the demo
# accounts for the other roles); its answers are tested in tests/web/test_api_organisations.py.
SKIPPED = {("POST", "/tokens")}


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app on a database of its own with the demo data, an in-process payment service, and a token
    per demo role."""
    folder = tmp_path_factory.mktemp("schema")
    database = folder / "schema.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "UPLOAD_DIR": str(folder / "uploads"),
            "EXPORT_DIR": str(folder / "exports"),
            "TESTING": True,
            "TEST_HIDE_500": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.extensions["orders.gateway"] = InProcessGateway()
    with app.app_context(), app.extensions["shop.sessions"]() as session:  # the demo pays through the app
        run_all(session)
        tokens = {
            role: issue_token(session, session.scalars(select(User).where(User.email == email)).one())[0]
            for role, email in DEMO_USERS.items()
        }
    yield app, tokens
    app.extensions["shop.engine"].dispose()


def _conformance_failures(app: Any, headers: dict[str, str]) -> dict[str, str]:
    """Run every operation's cases; the first failure of each operation, described."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        raw = operation.definition.raw
        takes_input = bool(raw.get("parameters")) or "requestBody" in raw
        # an operation that takes nothing has no wrong input to send (the presets)
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,)
        for mode in modes:
            name = f"{operation.method.upper()} {operation.path} ({mode.value})"

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=True,
            )
            @given(operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except BaseException as exc:  # schemathesis groups its findings in an ExceptionGroup
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures[name] = str(exc)[:1500]
    return failures


@pytest.mark.parametrize("role", ["anonymous", *DEMO_USERS])
def test_every_api_answer_is_one_the_document_describes_and_none_is_a_server_error(world, role: str) -> None:
    app, tokens = world
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
    logging.disable(logging.CRITICAL)  # the 500s are reported below, with their case
    try:
        failures = _conformance_failures(app, headers)
    finally:
        logging.disable(logging.NOTSET)
    assert not failures, "\n\n".join(f"== {name}\n{text}" for name, text in sorted(failures.items()))
