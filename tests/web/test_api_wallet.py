"""The "Programmes and wallets" calls of API.md, as written, with each error code."""

import pytest

from shop.states import Role
from tests.helpers import fresh, grant_wallet, make_org, make_programme, make_staff, member, token_for

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def test_the_authority_sets_a_programme_anyone_signed_in_reads_it(client, session):
    authority = token_for(session, make_staff(session, Role.AUTHORITY))
    body = {
        "year": 2026,
        "budget_fen": 5_000_000_000,
        "enterprise_cap_fen": CAP,
        "ratios": {"infrastructure": 40, "platform": 60, "application": 60},
        "settlement_dates": ["2026-06-30", "2026-12-20"],
    }
    response = client.post("/api/v1/programmes", json=body, headers=authority)
    assert response.status_code == 201
    enterprise = token_for(session, member(make_org(session)))
    got = client.get("/api/v1/programmes/2026", headers=enterprise).json
    assert {
        k: got[k]
        for k in (
            "year",
            "budget_fen",
            "granted_fen",
            "remaining_fen",
            "enterprise_cap_fen",
            "ratios",
            "settlement_dates",
        )
    } == {
        "year": 2026,
        "budget_fen": 5_000_000_000,
        "granted_fen": 0,
        "remaining_fen": 5_000_000_000,
        "enterprise_cap_fen": CAP,
        "ratios": {"infrastructure": 40, "platform": 60, "application": 60},
        "settlement_dates": ["2026-06-30", "2026-12-20"],
    }
    assert got["applications_open_on"] == "2026-01-01" and got["applications_close_on"] == "2026-12-31"
    assert client.get("/api/v1/programmes/2026").status_code == 401
    assert client.post("/api/v1/programmes", json=body, headers=enterprise).status_code == 403
    missing = client.get("/api/v1/programmes/2031", headers=enterprise)
    assert (missing.status_code, missing.json["code"]) == (404, "not_found")


def test_a_programme_with_bad_figures_is_a_validation_problem(client, session):
    authority = token_for(session, make_staff(session, Role.AUTHORITY))
    response = client.post(
        "/api/v1/programmes",
        json={"year": 2026, "budget_fen": 1.5, "enterprise_cap_fen": CAP, "ratios": {"infrastructure": 40}},
        headers=authority,
    )
    assert response.status_code == 422 and response.json["code"] == "validation_error"
    assert {"budget_fen", "ratios.platform", "ratios.application"} <= set(response.json["errors"])


def test_apply_review_and_read_the_wallet(client, session):
    make_programme(session)
    org = make_org(session)
    enterprise = token_for(session, member(org))
    response = client.post("/api/v1/quota-applications", json={"year": 2026}, headers=enterprise)
    assert response.status_code == 201 and response.json["status"] == "pending"
    application_id = response.json["id"]
    again = client.post("/api/v1/quota-applications", json={"year": 2026}, headers=enterprise)
    assert (again.status_code, again.json["code"]) == (409, "quota_already_applied")
    operator = token_for(session, make_staff(session, Role.OPERATOR))
    reviewed = client.post(
        f"/api/v1/quota-applications/{application_id}/review", json={"decision": "approve"}, headers=operator
    )
    assert reviewed.status_code == 200
    assert (reviewed.json["status"], reviewed.json["granted_fen"]) == ("granted", CAP)
    twice = client.post(
        f"/api/v1/quota-applications/{application_id}/review", json={"decision": "approve"}, headers=operator
    )
    assert (twice.status_code, twice.json["code"]) == (409, "invalid_state")
    wallet = client.get("/api/v1/wallet?year=2026", headers=enterprise).json
    assert {
        k: wallet[k] for k in ("year", "granted_fen", "available_fen", "in_orders_fen", "claimed_fen", "expires_on")
    } == {
        "year": 2026,
        "granted_fen": CAP,
        "available_fen": CAP,
        "in_orders_fen": 0,
        "claimed_fen": 0,
        "expires_on": "2026-12-31",
    }
    lines = client.get("/api/v1/wallet/ledger?year=2026", headers=enterprise).json
    assert lines["items"][0]["amount_fen"] == CAP and lines["items"][0]["balance_fen"] == CAP


def test_grants_never_exceed_the_budget_and_then_budget_exhausted(client, session):
    make_programme(session, budget_fen=CAP + 100)
    first, second, third = (token_for(session, member(make_org(session))) for _ in range(3))
    assert client.post("/api/v1/quota-applications", json={"year": 2026}, headers=first).json["reserved_fen"] == CAP
    assert client.post("/api/v1/quota-applications", json={"year": 2026}, headers=second).json["reserved_fen"] == 100
    response = client.post("/api/v1/quota-applications", json={"year": 2026}, headers=third)
    assert (response.status_code, response.json["code"]) == (409, "budget_exhausted")


def test_an_ineligible_enterprise_gets_not_eligible_naming_the_condition(client, session):
    import datetime as dt

    make_programme(session)
    young = make_org(session, established_on=dt.date(2025, 9, 1))
    response = client.post(
        "/api/v1/quota-applications",
        json={"year": 2026},
        headers={**token_for(session, member(young)), "Accept-Language": "en"},
    )
    assert (response.status_code, response.json["code"]) == (422, "not_eligible")
    assert "at least one year" in response.json["detail"]


def test_enterprises_see_only_their_own_applications(client, session):
    make_programme(session)
    mine, theirs = make_org(session), make_org(session)
    application = grant_wallet(session, theirs)
    headers = token_for(session, member(mine))
    assert client.get(f"/api/v1/quota-applications/{application.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/quota-applications", headers=headers).json["total"] == 0
    own = token_for(session, member(theirs))
    assert client.get(f"/api/v1/quota-applications/{application.id}", headers=own).json["granted_fen"] == CAP
    assert client.get("/api/v1/wallet?year=2026", headers=headers).json["available_fen"] == 0
    staff = token_for(session, make_staff(session, Role.AUTHORITY))
    assert client.get("/api/v1/quota-applications?status=granted", headers=staff).json["total"] == 1


def test_patching_the_budget_below_the_grants_is_refused(client, session):
    make_programme(session, budget_fen=2 * CAP)
    grant_wallet(session, make_org(session))
    authority = token_for(session, make_staff(session, Role.AUTHORITY))
    response = client.patch("/api/v1/programmes/2026", json={"budget_fen": CAP - 1}, headers=authority)
    assert response.status_code == 409 and "budget_fen" in response.json["errors"]
    response = client.patch("/api/v1/programmes/2026", json={"budget_fen": 3 * CAP}, headers=authority)
    assert response.status_code == 200 and response.json["remaining_fen"] == 2 * CAP
    assert fresh(session) is session
