"""Sign-in throttling as an attacker meets it (issue 11, H4 and M4): behind the reverse proxy each
visitor has their own client address, and nobody locks another person out of their account."""

import pytest

from shop import create_app
from shop.config import load_config
from tests.helpers import PASSWORD, make_org, member

PROXY = "10.0.0.2"  # every request reaches the app from the proxy's address, as behind nginx


@pytest.fixture
def proxied_app(database_url, tmp_path, monkeypatch):
    """The app as deployed behind one proxy: ``PROXY_FIX=1`` in the environment."""
    monkeypatch.setenv("PROXY_FIX", "1")
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
        }
    )
    yield app
    app.extensions["shop.engine"].dispose()


def sign_in_from(client, visitor, email, password):
    return client.post(
        "/api/v1/tokens",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": visitor},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def test_proxy_fix_counts_how_many_proxies_to_trust(tmp_path, monkeypatch):
    for value, hops in (("", 0), ("0", 0), ("1", 1), ("2", 2)):
        monkeypatch.setenv("PROXY_FIX", value)
        assert load_config(str(tmp_path))["PROXY_FIX"] == hops
    monkeypatch.setenv("PROXY_FIX", "yes please")
    with pytest.raises(RuntimeError, match="PROXY_FIX"):
        load_config(str(tmp_path))


def test_behind_the_proxy_each_visitor_has_a_throttle_of_their_own(proxied_app, session):
    org = make_org(session)
    client = proxied_app.test_client()
    for n in range(25):  # strangers on 25 addresses fail, more than one client address may
        response = sign_in_from(client, f"198.51.100.{n}", f"nobody{n}@example.com", "wrong-password-1")
        assert response.status_code == 401
    assert sign_in_from(client, "203.0.113.7", member(org).email, PASSWORD).status_code == 201


def test_behind_the_proxy_one_visitor_still_meets_the_per_client_limit(proxied_app, session):
    client = proxied_app.test_client()
    answers = [
        sign_in_from(client, "198.51.100.9", f"nobody{n}@example.com", "wrong-password-1").status_code
        for n in range(21)
    ]
    assert answers[:20] == [401] * 20 and answers[20] == 429


def test_without_proxy_fix_a_forged_forwarded_for_is_ignored(client, session):
    for n in range(20):
        assert sign_in_from(client, f"198.51.100.{n}", f"nobody{n}@example.com", "wrong-password-1").status_code == 401
    # a new forged address does not make a new client: the 21st failure from this address is paused
    assert sign_in_from(client, "203.0.113.99", "nobody@example.com", "wrong-password-1").status_code == 429


def test_a_stranger_cannot_lock_someone_out_of_their_account(client, session):
    org = make_org(session)
    email = member(org).email
    for n in range(12):  # five and more wrong passwords for the victim, from other addresses
        client.post(
            "/api/v1/tokens",
            json={"email": email, "password": "wrong-password-1"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
    response = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert response.status_code == 201
    page = client.post(
        "/login", data={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.8"}
    )
    assert page.status_code == 302


def test_a_guesser_is_paused_on_the_account_it_failed_on_even_with_the_right_password(client, session):
    org = make_org(session)
    email = member(org).email
    attacker = {"REMOTE_ADDR": "198.51.100.1"}
    for _ in range(5):
        assert (
            client.post(
                "/api/v1/tokens", json={"email": email, "password": "wrong-password-1"}, environ_base=attacker
            ).status_code
            == 401
        )
    response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}, environ_base=attacker)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 60
    # other accounts from that address are not paused by it
    other = make_org(session)
    assert (
        client.post(
            "/api/v1/tokens", json={"email": member(other).email, "password": PASSWORD}, environ_base=attacker
        ).status_code
        == 201
    )


def test_once_the_account_is_under_attack_each_failed_client_has_no_second_guess(client, session):
    org = make_org(session)
    email = member(org).email
    for n in range(5):  # five clients fail once each: the account is paused for those who failed
        client.post(
            "/api/v1/tokens",
            json={"email": email, "password": "wrong-password-1"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
    again = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "198.51.100.0"}
    )
    assert again.status_code == 429
    fresh_client = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert fresh_client.status_code == 201
