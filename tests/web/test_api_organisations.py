"""The Organisations and Audit calls of API.md, as written, with each error code."""

import pytest

from orgs.commands import BlacklistInput
from shop.states import Role
from tests.helpers import JPEG, PASSWORD, PDF, PNG, make_org, make_staff, member, registration, token_for


def bearer(client, email, password=PASSWORD):
    response = client.post("/api/v1/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def register(client, **overrides):
    data = registration(**overrides)
    return client.post("/api/v1/organisations", json=data), data


def certify_files(kind="enterprise"):
    import io

    files = {"business_licence": (io.BytesIO(PDF), "licence.pdf"), "realname_form": (io.BytesIO(JPEG), "form.jpg")}
    if kind == "enterprise":
        files["contact_id_card"] = (io.BytesIO(PNG), "id.png")
    return files


def test_register_certify_and_review_through_the_api(client, session):
    response, data = register(client)
    assert response.status_code == 201
    assert response.json["status"] == "pending_certification"
    org_id = response.json["id"]
    headers = bearer(client, data["email"])
    response = client.post(
        f"/api/v1/organisations/{org_id}/certification",
        data=certify_files(),
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.json["status"] == "under_review"
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    response = client.post(
        f"/api/v1/organisations/{org_id}/review", json={"decision": "approve", "reason": ""}, headers=operator
    )
    assert response.status_code == 200 and response.json["status"] == "certified"
    got = client.get(f"/api/v1/organisations/{org_id}", headers=headers).json
    assert {k: got[k] for k in ("id", "kind", "uscc", "name", "region_code", "established_on", "status")} == {
        "id": org_id,
        "kind": "enterprise",
        "uscc": data["uscc"],
        "name": data["name"],
        "region_code": "520102",
        "established_on": "2018-05-01",
        "status": "certified",
    }


def test_rejection_is_returned_with_its_reason(client, session):
    response, data = register(client, kind="provider")
    org_id = response.json["id"]
    client.post(
        f"/api/v1/organisations/{org_id}/certification",
        data=certify_files("provider"),
        headers=bearer(client, data["email"]),
        content_type="multipart/form-data",
    )
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    response = client.post(
        f"/api/v1/organisations/{org_id}/review", json={"decision": "reject", "reason": "表格未签章"}, headers=operator
    )
    assert response.json["status"] == "rejected" and response.json["status_reason"] == "表格未签章"


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        ({"uscc": "91110000600037341"}, "invalid_uscc", "uscc"),
        ({"uscc": "91110000600037341X"}, "invalid_uscc", "uscc"),
        ({"established_on": "2999-01-01"}, "validation_error", "established_on"),
        ({"region_code": "52"}, "validation_error", "region_code"),
        ({"kind": "bank"}, "validation_error", "kind"),
        ({"password": "short"}, "validation_error", "password"),
    ],
)
def test_registration_errors_are_problems_naming_the_field(client, overrides, code, field):
    response, _ = register(client, **overrides)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code and field in response.json["errors"]
    assert {"type", "title", "status", "detail"} <= set(response.json)


def test_duplicate_and_blacklisted_codes(client, session):
    response, data = register(client)
    again, _ = register(client, uscc=data["uscc"])
    assert (again.status_code, again.json["code"]) == (409, "duplicate_organisation")
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    from orgs import blacklist
    from shop.accounts import User

    blacklist.add_to_blacklist(
        session,
        session.get(User, 1) if False else _operator(session),
        BlacklistInput.from_input({"uscc": "91110000600037341L", "reason": "失信"}),
    )
    blocked, _ = register(client, uscc="91110000600037341L")
    assert (blocked.status_code, blocked.json["code"]) == (403, "blacklisted")
    assert operator


def _operator(session):
    return make_staff(session, Role.OPERATOR)


def test_a_body_that_is_not_json_is_a_validation_problem(client):
    response = client.post("/api/v1/organisations", data="{not json", content_type="application/json")
    assert response.status_code == 422 and response.json["code"] == "validation_error"


def test_tokens_do_not_say_whether_an_address_is_registered(client, session):
    org = make_org(session)
    wrong_password = client.post("/api/v1/tokens", json={"email": member(org).email, "password": "wrong-password-1"})
    unknown = client.post("/api/v1/tokens", json={"email": "nobody@example.com", "password": "wrong-password-1"})
    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json["detail"] == unknown.json["detail"]


def test_repeated_failures_slow_sign_in_down_with_a_clear_message(client, session):
    org = make_org(session)
    for _ in range(5):
        client.post("/api/v1/tokens", json={"email": member(org).email, "password": "wrong-password-1"})
    response = client.post("/api/v1/tokens", json={"email": member(org).email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json["code"] == "too_many_attempts" and "1 分钟" in response.json["detail"]
    english = client.post(
        "/api/v1/tokens", json={"email": member(org).email, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert "wait 1 minute" in english.json["detail"]
    assert int(response.headers["Retry-After"]) >= 60


def test_a_bad_or_missing_token_is_401(client):
    assert client.get("/api/v1/me").json["code"] == "unauthorized"
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.json["code"] == "unauthorized"


def test_another_organisation_is_not_found_for_a_member_but_visible_to_staff(client, session):
    org, other = make_org(session), make_org(session)
    response = client.get(f"/api/v1/organisations/{org.id}", headers=token_for(session, member(other)))
    assert (response.status_code, response.json["code"]) == (404, "not_found")
    staff = token_for(session, make_staff(session, Role.AUTHORITY))
    assert client.get(f"/api/v1/organisations/{org.id}", headers=staff).status_code == 200
    response = client.post(
        f"/api/v1/organisations/{org.id}/certification",
        data=certify_files(),
        headers=token_for(session, member(other)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 404


def test_reviewing_twice_is_invalid_state(client, session):
    org = make_org(session)  # already certified
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    response = client.post(f"/api/v1/organisations/{org.id}/review", json={"decision": "approve"}, headers=operator)
    assert (response.status_code, response.json["code"]) == (409, "invalid_state")


def test_review_of_an_unknown_organisation_is_not_found(client, session):
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    response = client.post("/api/v1/organisations/424242/review", json={"decision": "approve"}, headers=operator)
    assert (response.status_code, response.json["code"]) == (404, "not_found")


def test_affiliations_through_the_api(client, session):
    a, b = make_org(session), make_org(session, "provider")
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    response = client.post(
        f"/api/v1/organisations/{a.id}/affiliations",
        json={"organisation_id": b.id, "note": "同一集团"},
        headers=operator,
    )
    assert response.status_code == 201
    assert sorted(response.json["organisation_ids"]) == sorted([a.id, b.id])
    missing = client.post(f"/api/v1/organisations/{a.id}/affiliations", json={"note": "x"}, headers=operator)
    assert missing.status_code == 422 and "organisation_id" in missing.json["errors"]
    response = client.post(
        f"/api/v1/organisations/{a.id}/affiliations",
        json={"organisation_id": b.id, "note": "x"},
        headers=token_for(session, member(a)),
    )
    assert response.status_code == 403


def test_the_audit_trail_newest_first_filtered_by_subject(client, session):
    response, data = register(client)
    org_id = response.json["id"]
    register(client)
    staff = token_for(session, make_staff(session, Role.AUTHORITY))
    trail = client.get(f"/api/v1/audit?subject_type=organisation&subject_id={org_id}", headers=staff).json
    assert trail["total"] == 1 and trail["items"][0]["action"] == "register"
    assert trail["items"][0]["after"]["status"] == "pending_certification"
    everything = client.get("/api/v1/audit?per_page=1", headers=staff).json
    assert everything["total"] >= 2 and everything["per_page"] == 1
    assert everything["items"][0]["id"] > trail["items"][0]["id"] - 1
    bad = client.get("/api/v1/audit?subject_id=abc", headers=staff)
    assert bad.status_code == 422 and bad.json["code"] == "validation_error"
    assert client.get("/api/v1/audit", headers=token_for(session, member(make_org(session)))).status_code == 403
    verification = client.get("/api/v1/audit/verification", headers=staff).json
    assert verification["ok"] is True and verification["checked"] >= 2


def test_invisible_control_characters_are_refused_not_a_500(client):
    response, _ = register(client, name="贵阳\x00测试有限公司")
    assert response.status_code == 422 and "name" in response.json["errors"]
