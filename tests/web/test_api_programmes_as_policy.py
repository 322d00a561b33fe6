"""The "Programmes as policy" calls of API.md: presets, a programme from a preset, an application
naming programme, scheme and facts, a grant in notice, 复核, a wallet by programme."""

import pytest

from shop.states import Role
from tests.helpers import make_org, make_programme, make_staff, member, token_for

BAIYUN_2026 = {
    "preset": "baiyun",
    "code": "baiyun-2026",
    "jurisdiction": "440111",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "budget_fen": 1_000_000_000,  # ¥10,000,000
    "settlement_dates": ["2026-06-30"],
    "overrides": {"schemes.public_cloud.cap_fen": 5_000_000},  # ¥50,000 below ¥5,000,000 of taxes
}


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def baiyun_authority(session):
    user = make_staff(session, Role.AUTHORITY)
    user.jurisdiction = "440111"
    session.commit()
    return token_for(session, user)


def test_the_presets_are_listed_with_their_schemes_and_flows(client):
    items = client.get("/api/v1/policy-presets").json["items"]
    by_key = {p["key"]: p for p in items}
    assert set(by_key) == {"guizhou", "linyi", "liuzhou", "baiyun", "guangdong"}
    assert [s["key"] for s in by_key["baiyun"]["schemes"]] == [
        "dev_cloud",
        "public_cloud",
        "software_park",
        "smart_manufacturing",
    ]
    assert {p["key"] for p in items if p["available"]} == {"guizhou", "baiyun", "linyi", "liuzhou"}
    assert by_key["linyi"]["schemes"][0]["flow"] == "contract"
    assert by_key["guangdong"]["schemes"][0]["flow"] == "post_subsidy"


def test_a_baiyun_programme_from_its_preset_and_an_application_to_it(client, session):
    make_programme(session)  # Guizhou 2026 beside it
    created = client.post("/api/v1/programmes", json=BAIYUN_2026, headers=baiyun_authority(session))
    assert created.status_code == 201, created.json
    assert (created.json["code"], created.json["preset"], created.json["policy_version"]) == (
        "baiyun-2026",
        "baiyun",
        1,
    )
    assert created.json["remaining_fen"] == 1_000_000_000
    # the old form still names Guizhou's programme of the year
    assert client.get("/api/v1/programmes/2026", headers=token_for(session, make_staff(session))).json["code"] == (
        "guizhou-2026"
    )
    # and a programme of any other code is found by it (codes are up to 40 characters)
    by_code = client.get("/api/v1/programmes/baiyun-2026", headers=token_for(session, make_staff(session)))
    assert by_code.status_code == 200 and by_code.json["code"] == "baiyun-2026"

    guiyang = token_for(session, member(make_org(session, region_code="520102")))
    body = {"programme": "baiyun-2026", "scheme": "public_cloud", "facts": {"last_year_tax_fen": 0}}
    refused = client.post("/api/v1/quota-applications", json=body, headers=guiyang)
    assert refused.status_code == 422 and refused.json["code"] == "not_eligible"

    baiyun_org = make_org(session, region_code="440111")
    enterprise = token_for(session, member(baiyun_org))
    applied = client.post("/api/v1/quota-applications", json=body, headers=enterprise)
    assert applied.status_code == 201, applied.json
    assert (applied.json["programme"], applied.json["scheme"], applied.json["reserved_fen"]) == (
        "baiyun-2026",
        "public_cloud",
        5_000_000,  # the overridden cap
    )
    missing = client.post(
        "/api/v1/quota-applications",
        json={"programme": "baiyun-2026", "scheme": "smart_manufacturing"},
        headers=enterprise,
    )
    assert missing.status_code == 422 and "facts.project" in missing.json["errors"]

    operator = token_for(session, make_staff(session, Role.OPERATOR))
    reviewed = client.post(
        f"/api/v1/quota-applications/{applied.json['id']}/review", json={"decision": "approve"}, headers=operator
    )
    assert reviewed.status_code == 200
    assert (reviewed.json["status"], reviewed.json["granted_fen"]) == ("in_notice", 5_000_000)

    asked = client.post(
        f"/api/v1/quota-applications/{applied.json['id']}/reconsiderations",
        json={"reason": "数据有误"},
        headers=guiyang,
    )
    assert asked.status_code == 201
    answer = client.post(
        f"/api/v1/reconsiderations/{asked.json['id']}/answer", json={"decision": "refuse"}, headers=operator
    )
    assert answer.status_code == 422  # not accepting needs a reason
    answer = client.post(
        f"/api/v1/reconsiderations/{asked.json['id']}/answer",
        json={"decision": "refuse", "reason": "理由不成立"},
        headers=operator,
    )
    assert answer.status_code == 200 and answer.json["status"] == "refused"

    wallet = client.get("/api/v1/wallet?programme=baiyun-2026", headers=enterprise).json
    assert (wallet["scheme"], wallet["application_status"], wallet["available_fen"]) == ("public_cloud", "in_notice", 0)

    versions = client.post(
        "/api/v1/programmes/baiyun-2026/policy-versions",
        json={"overrides": {"yearly_total_fen": "many"}, "reason": "调整"},
        headers=baiyun_authority(session),
    )
    assert versions.status_code == 422 and "overrides.yearly_total_fen" in versions.json["errors"]
    history = client.get("/api/v1/programmes/baiyun-2026/policy-versions", headers=enterprise).json["items"]
    assert [v["number"] for v in history] == [1]


def test_only_an_authority_covering_the_jurisdiction_creates_the_programme(client, session):
    guiyang = make_staff(session, Role.AUTHORITY)
    guiyang.jurisdiction = "5201"
    session.commit()
    refused = client.post("/api/v1/programmes", json=BAIYUN_2026, headers=token_for(session, guiyang))
    assert refused.status_code == 403
    operator = client.post("/api/v1/programmes", json=BAIYUN_2026, headers=token_for(session, make_staff(session)))
    assert operator.status_code == 403


def test_a_programme_by_its_code_and_its_budget_changed(client, session):
    authority = baiyun_authority(session)
    assert client.post("/api/v1/programmes", json=BAIYUN_2026, headers=authority).status_code == 201
    enterprise = token_for(session, member(make_org(session, region_code="440111")))
    got = client.get("/api/v1/programmes/baiyun-2026", headers=enterprise).json
    assert (got["jurisdiction"], got["starts_on"], got["budget_fen"]) == ("440111", "2026-01-01", 1_000_000_000)
    assert [s["key"] for s in got["schemes"]] == ["dev_cloud", "public_cloud", "software_park", "smart_manufacturing"]
    assert client.get("/api/v1/programmes/nope-2026", headers=enterprise).status_code == 404
    changed = client.patch("/api/v1/programmes/baiyun-2026", json={"budget_fen": 1_200_000_000}, headers=authority)
    assert changed.status_code == 200 and changed.json["remaining_fen"] == 1_200_000_000
    outside = client.patch(
        "/api/v1/programmes/baiyun-2026", json={"settlement_dates": ["2027-01-05"]}, headers=authority
    )
    assert outside.status_code == 422 and "settlement_dates" in outside.json["errors"]
    listed = client.get("/api/v1/programmes?jurisdiction=4401", headers=enterprise).json["items"]
    assert [p["code"] for p in listed] == ["baiyun-2026"]


def test_the_catalogue_shows_an_enterprise_the_share_of_the_wallet_it_would_spend(client, session, today):
    from shop.inputs import Decision
    from tests.helpers import make_product
    from wallet import grants, services

    make_programme(session)  # Guizhou 2026: 40% of an infrastructure product
    client.post("/api/v1/programmes", json=BAIYUN_2026, headers=baiyun_authority(session))
    provider = make_org(session, "provider")
    compute = make_product(session, provider, price_fen=1_000_00, layer="infrastructure", category="compute")
    devops = make_product(session, provider, price_fen=1_000_00, layer="platform", category="devops")
    org = make_org(session, region_code="440111")
    application = grants.apply(session, member(org), "baiyun-2026", "public_cloud", {"last_year_tax_fen": 0})
    services.review_application(session, make_staff(session), application.id, Decision(True))
    today("2026-03-17")  # the notice and the 复核 window have passed
    grants.issue_after_notice(session)
    enterprise = token_for(session, member(org))
    shown = {
        p: client.get(f"/api/v1/products/{p.id}", headers=enterprise).json["max_voucher_fen"] for p in (compute, devops)
    }
    # public cloud pays 50% of a compute product and nothing of a dev-ops one (not in its categories)
    assert (shown[compute], shown[devops]) == (500_00, 0)
    # anyone else sees the province-wide programme's 40%
    assert client.get(f"/api/v1/products/{compute.id}").json["max_voucher_fen"] == 400_00
    from tests.helpers import sign_in

    sign_in(client, member(org))
    page = client.get(f"/products/{compute.id}").get_data(as_text=True)
    assert "50%" in page and "¥500.00" in page


def test_a_district_authority_cannot_set_or_change_the_province_wide_programme(client, session):
    district = baiyun_authority(session)
    body = {
        "year": 2026,
        "budget_fen": 100_000_000,
        "enterprise_cap_fen": 5_000_000,
        "ratios": {"infrastructure": 40, "platform": 60, "application": 60},
    }
    assert client.post("/api/v1/programmes", json=body, headers=district).status_code == 403
    make_programme(session)
    assert client.patch("/api/v1/programmes/2026", json={"budget_fen": 1}, headers=district).status_code == 403
    province = token_for(session, make_staff(session, Role.AUTHORITY))
    assert (
        client.patch("/api/v1/programmes/2026", json={"budget_fen": 200_000_000}, headers=province).status_code == 200
    )


def test_the_cart_and_the_checkout_spend_the_wallet_named(client, session, today):
    from shop.inputs import Decision
    from tests.helpers import make_product
    from wallet import grants, services

    client.post("/api/v1/programmes", json=BAIYUN_2026, headers=baiyun_authority(session))
    provider = make_org(session, "provider")
    compute = make_product(session, provider, price_fen=1_000_00, layer="infrastructure", category="compute")
    org = make_org(session, region_code="440111")
    for scheme, facts in (("public_cloud", {"last_year_tax_fen": 0}), ("software_park", {})):
        application = grants.apply(session, member(org), "baiyun-2026", scheme, facts)
        services.review_application(session, make_staff(session), application.id, Decision(True))
    today("2026-03-17")
    grants.issue_after_notice(session)
    enterprise = token_for(session, member(org))
    assert client.post("/api/v1/cart/lines", json={"product_id": compute.id}, headers=enterprise).status_code == 201
    public = client.get("/api/v1/cart?wallet=baiyun-2026/public_cloud", headers=enterprise).json
    park = client.get("/api/v1/cart?wallet=baiyun-2026/software_park", headers=enterprise).json
    # public cloud pays 50% of a compute product; the software park pays for none
    assert (public["wallet"], public["voucher_fen"], park["voucher_fen"]) == ("baiyun-2026/public_cloud", 500_00, 0)
    assert client.get("/api/v1/cart?wallet=nope", headers=enterprise).status_code == 422


def test_a_district_authority_reads_the_report_of_its_own_programme(client, session):
    make_programme(session)
    district = baiyun_authority(session)
    assert client.post("/api/v1/programmes", json=BAIYUN_2026, headers=district).status_code == 201
    report = client.get("/api/v1/reports/programmes/2026", headers=district).json
    assert (report["programme"], report["budget"]["budget_fen"]) == ("baiyun-2026", 1_000_000_000)
    refused = client.get("/api/v1/reports/programmes/2026?programme=guizhou-2026", headers=district)
    assert refused.status_code == 404
    province = token_for(session, make_staff(session, Role.AUTHORITY))
    whole = client.get("/api/v1/reports/programmes/2026", headers=province).json
    assert whole["programme"] is None and whole["budget"]["budget_fen"] == 1_000_000_000 + 100_000_000
    one = client.get("/api/v1/reports/programmes/2026?programme=guizhou-2026", headers=province).json
    assert one["budget"]["budget_fen"] == 100_000_000


def test_the_dashboard_of_a_district_authority_shows_its_programme(client, session):
    from tests.helpers import sign_in

    make_programme(session)
    user = make_staff(session, Role.AUTHORITY, jurisdiction="440111")
    assert client.post("/api/v1/programmes", json=BAIYUN_2026, headers=token_for(session, user)).status_code == 201
    sign_in(client, user)
    page = client.get("/oversight?year=2026").get_data(as_text=True)
    assert "白云区服务券" in page and "¥10,000,000.00" in page
    assert "guizhou-2026" not in page
    assert client.get("/oversight?year=2026&programme=guizhou-2026").status_code == 404
