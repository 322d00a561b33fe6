"""Signing out and revoking a token end them on the server (issue 11, L6): a session cookie copied
before "sign out" opens nothing afterwards, and an API token can be listed and revoked."""

from tests.helpers import PASSWORD, make_org, make_product, member


def signed_in_client(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def test_a_session_cookie_copied_before_sign_out_stops_working(app, session):
    enterprise, provider = make_org(session), make_org(session, "provider")
    product = make_product(session, provider)
    client = signed_in_client(app, member(enterprise).email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    assert copy.get("/wallet").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/wallet").status_code == 302
    stolen = copy.get("/wallet")
    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]
    assert copy.post("/cart/add", data={"product_id": product.id}).status_code == 401
    # signing in again works, and so does that new session
    again = signed_in_client(app, member(enterprise).email)
    assert again.get("/wallet").status_code == 200


def test_a_session_of_a_deactivated_user_stops_working(app, session):
    org = make_org(session)
    client = signed_in_client(app, member(org).email)
    user = member(org)
    session.merge(user).active = False
    from shop.db import write_transactions

    with write_transactions():
        session.commit()
    assert client.get("/wallet").status_code == 302


def bearer(client, email):
    response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    return response.json["token"], {"Authorization": f"Bearer {response.json['token']}"}


def test_tokens_are_listed_without_their_secret(client, session):
    org = make_org(session)
    first, first_headers = bearer(client, member(org).email)
    second, _ = bearer(client, member(org).email)
    bearer(client, member(make_org(session)).email)  # someone else's
    listing = client.get("/api/v1/tokens", headers=first_headers)
    assert listing.status_code == 200
    items = listing.json["items"]
    assert listing.json["total"] == 2 and len(items) == 2
    assert [item["current"] for item in items].count(True) == 1
    assert set(items[0]) == {"id", "created_at", "expires_at", "current"}
    text = listing.get_data(as_text=True)
    assert first not in text and second not in text


def test_revoking_the_current_token_stops_it_and_only_it(client, session):
    org = make_org(session)
    _, revoked = bearer(client, member(org).email)
    _, kept = bearer(client, member(org).email)
    response = client.delete("/api/v1/tokens/current", headers=revoked)
    assert response.status_code == 204 and response.data == b""
    refused = client.get("/api/v1/me", headers=revoked)
    assert (refused.status_code, refused.json["code"]) == (401, "unauthorized")
    assert client.get("/api/v1/me", headers=kept).status_code == 200
    assert client.get("/api/v1/tokens", headers=kept).json["total"] == 1


def test_a_token_can_revoke_another_of_its_users_tokens_but_not_someone_elses(client, session):
    org, other = make_org(session), make_org(session)
    _, mine = bearer(client, member(org).email)
    _, lost = bearer(client, member(org).email)
    _, theirs = bearer(client, member(other).email)
    lost_id = next(i["id"] for i in client.get("/api/v1/tokens", headers=lost).json["items"] if i["current"])
    theirs_id = client.get("/api/v1/tokens", headers=theirs).json["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{theirs_id}", headers=mine).status_code == 404
    assert client.get("/api/v1/me", headers=theirs).status_code == 200
    assert client.delete(f"/api/v1/tokens/{lost_id}", headers=mine).status_code == 204
    assert client.get("/api/v1/me", headers=lost).status_code == 401
    assert client.delete(f"/api/v1/tokens/{lost_id}", headers=mine).status_code == 404


def test_the_api_document_describes_listing_and_revoking_tokens(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/tokens"] and "post" in paths["/tokens"]
    assert "204" in paths["/tokens/current"]["delete"]["responses"]
    assert "204" in paths["/tokens/{token_id}"]["delete"]["responses"]
    assert "404" in paths["/tokens/{token_id}"]["delete"]["responses"]
