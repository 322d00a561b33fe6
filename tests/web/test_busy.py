"""A database that cannot answer in time is "busy, try again" (issue 11, L9), never a 500 that says
nothing was changed: the SQLite write lock held elsewhere, and a connection pool with none free."""

import sqlite3

import pytest
from sqlalchemy.engine import make_url

from shop import create_app, db
from shop.db import make_engine, make_session_factory
from tests.helpers import make_org, make_product, member, sign_in, token_for


def _app(database_url, tmp_path):
    return create_app(
        {
            "DATABASE_URL": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
        }
    )


@pytest.fixture
def impatient_app(database_url, tmp_path, monkeypatch):
    """The app with a SQLite busy timeout of 0: a lock held elsewhere is met at once (as after the
    30 s a worker waits), so the test needs no waiting."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite write lock")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 0)
    app = _app(database_url, tmp_path)
    yield app
    app.extensions["shop.engine"].dispose()


def assert_busy_problem(response):
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "busy"
    assert int(response.headers["Retry-After"]) > 0
    assert "nothing was changed" not in response.json["detail"]


def test_a_locked_sqlite_database_answers_busy_with_retry_after(impatient_app, session):
    enterprise, provider = make_org(session), make_org(session, "provider")
    product = make_product(session, provider)
    headers = token_for(session, member(enterprise))
    client = impatient_app.test_client()
    sign_in(client, member(enterprise))
    with _locked(impatient_app):
        api = client.post(
            "/api/v1/cart/lines",
            json={"product_id": product.id, "quantity": 1},
            headers={**headers, "Accept-Language": "en"},
        )
        page = client.post("/cart/add", data={"product_id": product.id})
    assert_busy_problem(api)
    assert "try again" in api.json["detail"]
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert "请稍后再试" in page.get_data(as_text=True)
    # once the lock is gone, the same request goes through
    assert client.post("/cart/add", data={"product_id": product.id}).status_code == 302


def _locked(app):
    import contextlib

    @contextlib.contextmanager
    def hold():
        other = sqlite3.connect(make_url(app.config["DATABASE_URL"]).database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()

    return hold()


def test_no_free_database_connection_answers_busy_with_retry_after(app, client, session, database_url):
    org = make_org(session)
    headers = {**token_for(session, member(org)), "Accept-Language": "en"}
    engine = make_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.01)
    app.extensions["shop.sessions"] = make_session_factory(engine)
    held = engine.connect()  # the only connection, taken by a request that hangs
    try:
        api = client.get("/api/v1/me", headers=headers)
        sign_in(client, member(org))
        page = client.get("/wallet")
    finally:
        held.close()
        engine.dispose()
    assert_busy_problem(api)
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0


def test_an_unexpected_error_does_not_claim_that_nothing_was_changed(app, client, session, monkeypatch):
    app.config["TEST_HIDE_500"] = True
    import shop.views

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(shop.views, "build_openapi", broken)
    response = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    assert response.status_code == 500 and response.json["code"] == "internal_error"
    assert "nothing was changed" not in response.json["detail"] and "check your orders" in response.json["detail"]
    monkeypatch.setattr(shop.views, "render_template", broken)
    page = client.get("/")
    assert page.status_code == 500 and "没有任何改动" not in page.get_data(as_text=True)


def test_the_api_document_lists_busy_for_every_call(client):
    doc = client.get("/api/v1/openapi.json").json
    operations = [op for path in doc["paths"].values() for op in path.values()]
    assert all("busy" in op["responses"]["503"]["description"] for op in operations)
