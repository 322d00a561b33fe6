"""Fixtures: an app on a freshly migrated database per test, on SQLite and (when
``TEST_DATABASE_URL`` is set) on PostgreSQL; a client; a session; the Stripe mock.

SQLite: the migrations run once into a template file, copied for each test.
PostgreSQL: the migrations run once into the database of ``TEST_DATABASE_URL`` (emptied first);
each test starts from truncated tables.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

os.environ["SHOP_ENV"] = "testing"
os.environ.setdefault("SECRET_KEY", "test-secret")
os.environ.pop("SHOP_TODAY", None)

import shop.auth  # noqa: E402

shop.auth.HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing for tests only

from shop import create_app  # noqa: E402
from shop.db import Base, make_engine, read_only_transactions  # noqa: E402
from shop.migrate import upgrade  # noqa: E402
from shop.model_registry import import_all_models  # noqa: E402

pytest_plugins = ["tests.stripe_mock"]

PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_SKIP_REASON = "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql", "both"],
        default=None,
        help="databases for the service and web tests (default: both when TEST_DATABASE_URL is set)",
    )


def _databases(config: pytest.Config) -> list[str]:
    choice = config.getoption("--db") or ("both" if PG_URL else "sqlite")
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames and "browser" not in metafunc.definition.path.parts:
        params = [
            pytest.param(db, marks=[pytest.mark.skipif(db == "postgresql" and not PG_URL, reason=PG_SKIP_REASON)])
            for db in _databases(metafunc.config)
        ]
        metafunc.parametrize("database", params, scope="session")


def _worker() -> str:
    """Distinct per checkout and per xdist worker, so that two test runs on one server never meet."""
    import hashlib

    checkout = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:6]
    return f"{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


def pg_database_url(suffix: str = "") -> str:
    """A database of its own on the TEST_DATABASE_URL server, created empty."""
    from tests.databases import fresh_pg_database

    return fresh_pg_database(PG_URL, f"{make_url(PG_URL).database}{suffix}")


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    url = pg_database_url(f"_yq_{_worker()}")
    upgrade(url)
    return url


def _truncate_pg(url: str) -> None:
    import_all_models()
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
        _after_truncate(connection)
    engine.dispose()


def _after_truncate(connection) -> None:  # type: ignore[no-untyped-def]
    """Rows a migration inserts (besides the audit head) are put back here by the areas' tests."""
    for hook in TRUNCATE_HOOKS:
        hook(connection)


TRUNCATE_HOOKS: list = []


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database: str, tmp_path: Path) -> str:
    if database == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
            # the daily audit checkpoint writes on the first request of the day; a test's session keeps
            # its SQLite read snapshot across requests and could then no longer write (tests of the
            # checkpoint turn it on)
            "AUDIT_CHECKPOINT_DAILY": False,
        }
    )
    yield app
    _assert_ledger_balanced(app, reconcile=request.node.get_closest_marker("ledger_alone") is None)
    app.extensions["shop.engine"].dispose()


def _assert_ledger_balanced(app, *, reconcile: bool = True) -> None:  # type: ignore[no-untyped-def]
    """After every test: each ledger entry sums to zero, every balance equals its postings and (unless
    the test is marked ``ledger_alone``) every wallet holds what its orders, claims and quota say."""
    from wallet.ledger_check import verify

    with read_only_transactions(), app.extensions["shop.sessions"]() as s:
        report = verify(s)
    if not reconcile:
        report.differences = []
    assert report.ok, f"ledger out of balance after the test: {report}"


@pytest.fixture
def session(app):  # type: ignore[no-untyped-def]
    """A session for the test's own setup and checks. Its reads do not hold SQLite's write lock;
    after a request through ``client``, end its transaction (``session.rollback()``) to see what
    the request wrote."""
    # no app context here: services run without Flask, and a test's app context would be shared
    # by every request of the test client (and with it the request's session)
    with read_only_transactions():
        s = app.extensions["shop.sessions"]()
        yield s
        s.close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Fix the application's date: ``today("2026-03-01")``."""

    def set_today(value: str) -> None:
        monkeypatch.setenv("SHOP_TODAY", value)

    return set_today
