"""Programme, wallet and application queue pages."""

import datetime as dt

import pytest

from shop.states import Role
from tests.helpers import fresh, grant_wallet, make_org, make_programme, make_staff, member, sign_in
from wallet import ledger, programmes, services

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def text(response):
    return response.get_data(as_text=True)


def test_the_authority_creates_a_programme_from_the_form_in_yuan(client, session):
    sign_in(client, make_staff(session, Role.AUTHORITY))
    response = client.post(
        "/authority/programmes/new",
        data={
            "year": "2026",
            "budget": "50,000,000.00",
            "enterprise_cap": "50000",
            "ratio_infrastructure": "40",
            "ratio_platform": "60",
            "ratio_application": "60",
            "settlement_dates": "2026-06-30, 2026-12-20",
        },
        follow_redirects=True,
    )
    page = text(response)
    assert response.status_code == 200 and "¥50,000,000.00" in page and "2026年6月30日" in page
    assert programmes.get_programme(fresh(session), 2026).budget_fen == 5_000_000_000


def test_a_faulty_programme_form_shows_messages_beside_fields(client, session):
    sign_in(client, make_staff(session, Role.AUTHORITY))
    response = client.post(
        "/authority/programmes/new",
        data={
            "year": "2026",
            "budget": "lots",
            "enterprise_cap": "50000",
            "ratio_infrastructure": "140",
            "ratio_platform": "60",
            "ratio_application": "60",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-budget"' in page and 'id="e-ratio_infrastructure"' in page
    assert 'value="lots"' in page


def test_the_programme_page_shows_figures_and_the_grants_chart(client, session):
    make_programme(session, budget_fen=10 * CAP)
    grant_wallet(session, make_org(session))
    sign_in(client, make_staff(session, Role.OPERATOR))
    page = text(client.get("/programmes/2026"))
    assert "¥500,000.00" in page and "¥450,000.00" in page and "<svg" in page and "¥50,000.00" in page


def test_an_enterprise_applies_from_its_wallet_page_and_sees_the_reservation(client, session):
    make_programme(session)
    org = make_org(session)
    sign_in(client, member(org))
    page = text(client.get("/wallet"))
    assert "申请 2026 年度额度" in page
    page = text(client.post("/wallet/apply", data={"year": "2026"}, follow_redirects=True))
    assert "¥50,000.00" in page and "待审核" in page


def test_a_young_enterprise_is_told_why_it_cannot_apply(client, session):
    make_programme(session)
    org = make_org(session, established_on=dt.date(2025, 12, 1))
    sign_in(client, member(org))
    page = text(client.get("/wallet"))
    assert "成立满一年" in page and "申请 2026 年度额度" not in page


def test_the_operator_grants_several_at_once_and_a_rejection_needs_a_reason(client, session):
    make_programme(session)
    applications = [services.apply_for_quota(session, member(make_org(session)), 2026) for _ in range(3)]
    sign_in(client, make_staff(session, Role.OPERATOR))
    queue = text(client.get("/operator/quota-applications"))
    assert all(a.organisation.name in queue for a in applications)
    response = client.post(
        "/operator/quota-applications/review",
        data={"application_ids": [applications[0].id], "decision": "reject", "reason": ""},
    )
    assert response.status_code == 422
    response = client.post(
        "/operator/quota-applications/review",
        data={"application_ids": [a.id for a in applications[:2]], "decision": "approve"},
        follow_redirects=True,
    )
    assert "2" in text(response)
    fresh(session)
    assert [
        services.get_application(session, make_staff(session, Role.OPERATOR), a.id).status.value for a in applications
    ] == ["granted", "granted", "pending"]


@pytest.mark.ledger_alone
def test_the_wallet_page_and_csv_show_movements_with_a_running_balance(client, session):
    make_programme(session)
    org = make_org(session)
    grant_wallet(session, org)
    ledger.hold_vouchers(session, 2026, org.id, 12_345, ref=("order", 9), actor_id=None)
    session.commit()
    sign_in(client, member(org))
    page = text(client.get("/wallet"))
    assert "¥49,876.55" in page and "-¥123.45" in page
    csv = client.get("/wallet/ledger.csv?year=2026")
    assert csv.mimetype == "text/csv"
    rows = csv.get_data(as_text=True).strip().splitlines()
    assert rows[1].endswith(",-123.45,49876.55") and rows[2].endswith(",50000.00,50000.00")


def test_nobody_else_sees_an_enterprises_wallet_page(client, session):
    make_programme(session)
    org, other = make_org(session), make_org(session)
    grant_wallet(session, org)
    sign_in(client, member(other))
    page = text(client.get("/wallet"))
    assert "<small>可用</small><strong>¥0.00</strong>" in page and "额度发放" not in page
