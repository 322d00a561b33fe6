"""The security headers a deployment sends (issue 11, L4): HSTS in production, a script policy that
names the exact scripts (not all of a CDN), and no framing by other sites."""

import pytest

from shop import create_app

HTMX = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.8/dist/htmx.min.js"


@pytest.fixture
def production(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("AUDIT_KEY", "a-production-audit-key-of-at-least-32-characters")
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    app = create_app(
        {"DATABASE_URL": database_url, "UPLOAD_DIR": str(tmp_path / "uploads"), "SERVER_NAME": "localhost"}
    )
    yield app
    app.extensions["shop.engine"].dispose()


def script_sources(policy):
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    return directives, directives["script-src"].split()


def test_production_pins_https_for_every_response(production):
    client = production.test_client()
    for url in ("/", "/login", "/api/v1/openapi.json", "/static/app.css", "/nothing-here"):
        response = client.get(url, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000", url


def test_development_and_tests_do_not_pin_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_the_script_policy_names_the_exact_scripts_of_the_cdn_and_stripe(production):
    page = production.test_client().get("/", base_url="https://localhost")
    assert HTMX in page.get_data(as_text=True)
    directives, scripts = script_sources(page.headers["Content-Security-Policy"])
    assert HTMX in scripts and "https://js.stripe.com/v3/" in scripts
    assert "https://cdn.jsdelivr.net" not in scripts and "https://js.stripe.com" not in scripts
    assert not [s for s in scripts if s.endswith("*") or s in ("https:", "http:", "*")]
    assert directives["frame-ancestors"] == "'self'"
    assert directives["object-src"] == "'none'"


def test_without_the_cdn_no_cdn_script_is_allowed(client):
    directives, scripts = script_sources(client.get("/").headers["Content-Security-Policy"])
    assert not [s for s in scripts if "jsdelivr" in s]
    assert directives["frame-ancestors"] == "'self'"


def test_the_checkout_page_loads_stripe_js_from_where_the_policy_allows(production, session):
    from tests.helpers import make_org, member, sign_in

    client = production.test_client()
    sign_in(client, member(make_org(session)))
    page = client.get("/checkout", base_url="https://localhost")
    _, scripts = script_sources(page.headers["Content-Security-Policy"])
    assert '<script src="https://js.stripe.com/v3/">' in page.get_data(as_text=True)
    assert "https://js.stripe.com/v3/" in scripts


def test_uploaded_documents_are_sandboxed_and_framed_only_by_this_site(client, session):
    import io

    from tests.helpers import PDF, make_org, make_staff, member, sign_in

    org = make_org(session, status="pending_certification")
    sign_in(client, member(org))
    files = {
        name: (io.BytesIO(PDF), f"{name}.pdf") for name in ("business_licence", "realname_form", "contact_id_card")
    }
    client.post("/organisation/certification", data=files, content_type="multipart/form-data")
    from shop.states import Role

    sign_in(client, make_staff(session, Role.OPERATOR))
    page = client.get(f"/staff/organisations/{org.id}").get_data(as_text=True)
    import re

    document = re.search(r'<iframe src="(/documents/\d+)"', page).group(1)
    policy = client.get(document).headers["Content-Security-Policy"]
    assert "sandbox" in policy and "frame-ancestors 'self'" in policy
