"""Scoped staff on the pages and the API: a Guiyang operator (5201) sees, certifies and grants a
Guiyang enterprise and not a Zunyi one (5203), which is not found for it; a province operator sees both.
And the certification of an organisation whose region is not its credit code's division, which needs
``region_note`` (422 ``region_mismatch`` without it)."""

import itertools

import pytest

from orgs import services
from orgs.commands import Registration
from orgs.models import Organisation
from orgs.states import OrgStatus
from shop.states import Role
from tests.helpers import (
    JPEG,
    PDF,
    PNG,
    fresh,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_programme,
    make_staff,
    member,
    registration,
    sign_in,
    token_for,
    unique_uscc,
    upload,
)
from wallet import services as wallet
from wallet.states import ApplicationStatus

GUIYANG, ZUNYI = "520102", "520302"
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def text(response):
    return response.get_data(as_text=True)


def submitted(session, app, region_code, **overrides):
    org = services.register_organisation(
        session,
        Registration.from_input(
            registration(region_code=region_code, name=f"测试{region_code}企业{next(_names)}有限公司", **overrides)
        ),
    )
    files = {"business_licence": upload(PDF), "realname_form": upload(JPEG), "contact_id_card": upload(PNG)}
    return services.submit_certification(session, member(org), org.id, files, app.config["UPLOAD_DIR"])


def test_the_city_operators_pages_show_and_certify_only_its_city(client, session, app):
    guiyang, zunyi = submitted(session, app, GUIYANG), submitted(session, app, ZUNYI)
    zunyi_document = services.latest_submission(session, zunyi.id).documents[0].id
    sign_in(client, make_staff(session, jurisdiction="5201"))
    queue = text(client.get("/operator/certifications"))
    assert guiyang.name in queue and zunyi.name not in queue
    assert '<span class="count" title="待您处理">1</span>' in queue  # the navigation counts its city only
    assert "贵州省贵阳市" in queue  # the header names the jurisdiction
    listed = text(client.get("/staff/organisations"))
    assert guiyang.name in listed and zunyi.name not in listed
    assert client.get(f"/staff/organisations/{zunyi.id}").status_code == 404
    assert client.get(f"/documents/{zunyi_document}").status_code == 404
    assert client.post(f"/operator/organisations/{zunyi.id}/review", data={"decision": "approve"}).status_code == 404
    assert fresh(session).get(Organisation, zunyi.id).status == OrgStatus.UNDER_REVIEW
    response = client.post(f"/operator/organisations/{guiyang.id}/review", data={"decision": "approve"})
    assert response.status_code == 302

    sign_in(client, make_staff(fresh(session)))
    queue = text(client.get("/operator/certifications"))
    assert zunyi.name in queue and "全部辖区" in queue
    assert guiyang.name in text(client.get("/staff/organisations"))
    assert client.post(f"/operator/organisations/{zunyi.id}/review", data={"decision": "approve"}).status_code == 302
    assert fresh(session).get(Organisation, zunyi.id).status == OrgStatus.CERTIFIED


def test_the_city_operators_api_lists_and_reviews_only_its_city(client, session, app):
    guiyang, zunyi = submitted(session, app, GUIYANG), submitted(session, app, ZUNYI)
    city = token_for(session, make_staff(session, jurisdiction="5201"))
    assert client.get("/api/v1/me", headers=city).json["jurisdiction"] == "5201"
    assert [o["id"] for o in client.get("/api/v1/organisations", headers=city).json["items"]] == [guiyang.id]
    assert client.get(f"/api/v1/organisations/{zunyi.id}", headers=city).status_code == 404
    refused = client.post(f"/api/v1/organisations/{zunyi.id}/review", json={"decision": "approve"}, headers=city)
    assert refused.status_code == 404 and refused.json["code"] == "not_found"
    ok = client.post(f"/api/v1/organisations/{guiyang.id}/review", json={"decision": "approve"}, headers=city)
    assert ok.status_code == 200 and ok.json["status"] == "certified"

    province = token_for(session, make_staff(session, Role.AUTHORITY))
    assert client.get("/api/v1/me", headers=province).json["jurisdiction"] is None
    listed = {o["id"] for o in client.get("/api/v1/organisations", headers=province).json["items"]}
    assert listed == {guiyang.id, zunyi.id}


def test_the_city_operator_sees_and_grants_only_its_citys_quota_applications(client, session):
    make_programme(session)
    guiyang, zunyi = make_org(session, region_code=GUIYANG), make_org(session, region_code=ZUNYI)
    mine = wallet.apply_for_quota(session, member(guiyang), 2026)
    theirs = wallet.apply_for_quota(session, member(zunyi), 2026)
    operator = make_staff(session, jurisdiction="5201")

    sign_in(client, operator)
    queue = text(client.get("/operator/quota-applications"))
    assert guiyang.name in queue and zunyi.name not in queue
    response = client.post(
        "/operator/quota-applications/review", data={"application_ids": [theirs.id], "decision": "approve"}
    )
    assert response.status_code == 404

    city = token_for(session, operator)
    assert [a["id"] for a in client.get("/api/v1/quota-applications", headers=city).json["items"]] == [mine.id]
    assert client.get(f"/api/v1/quota-applications/{theirs.id}", headers=city).status_code == 404
    refused = client.post(f"/api/v1/quota-applications/{theirs.id}/review", json={"decision": "approve"}, headers=city)
    assert refused.status_code == 404
    assert fresh(session).get(type(theirs), theirs.id).status == ApplicationStatus.PENDING
    granted = client.post(f"/api/v1/quota-applications/{mine.id}/review", json={"decision": "approve"}, headers=city)
    assert granted.status_code == 200 and granted.json["status"] == "granted"

    province = token_for(fresh(session), make_staff(session))
    listed = client.get("/api/v1/quota-applications", headers=province).json["items"]
    assert {a["id"] for a in listed} == {mine.id, theirs.id}
    granted = client.post(
        f"/api/v1/quota-applications/{theirs.id}/review", json={"decision": "approve"}, headers=province
    )
    assert granted.status_code == 200


def test_certifying_a_region_that_differs_from_the_credit_code_needs_a_note_through_the_api(client, session, app):
    org = submitted(session, app, GUIYANG, uscc=unique_uscc(ZUNYI))
    operator = token_for(session, make_staff(session))
    refused = client.post(f"/api/v1/organisations/{org.id}/review", json={"decision": "approve"}, headers=operator)
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json["code"] == "region_mismatch" and "region_note" in refused.json["errors"]
    body = {"decision": "approve", "region_note": "企业已由遵义迁至贵阳"}
    response = client.post(f"/api/v1/organisations/{org.id}/review", json=body, headers=operator)
    assert response.status_code == 200
    assert (response.json["status"], response.json["region_note"]) == ("certified", "企业已由遵义迁至贵阳")


def test_the_organisation_page_shows_the_disagreement_and_asks_for_the_note(client, session, app):
    org = submitted(session, app, GUIYANG, uscc=unique_uscc(ZUNYI))
    sign_in(client, make_staff(session))
    page = text(client.get(f"/staff/organisations/{org.id}"))
    assert 'id="region-mismatch"' in page and "贵州省遵义市红花岗区" in page and 'id="f-region_note"' in page
    response = client.post(f"/operator/organisations/{org.id}/review", data={"decision": "approve"})
    assert response.status_code == 422
    assert 'id="e-region_note"' in text(response) and "信用代码" in text(response)
    response = client.post(
        f"/operator/organisations/{org.id}/review", data={"decision": "approve", "region_note": "迁址"}
    )
    assert response.status_code == 302
    page = text(client.get(f"/staff/organisations/{org.id}"))
    assert "迁址" in page and 'id="f-region_note"' not in page

    agreeing = submitted(session, app, GUIYANG)
    page = text(client.get(f"/staff/organisations/{agreeing.id}"))
    assert 'id="region-mismatch"' not in page and 'id="f-region_note"' not in page


def test_the_city_staff_see_and_review_only_the_claims_of_their_citys_enterprises(client, session, app):
    # a claim of a Guiyang enterprise's order and one of a Zunyi enterprise's order, by the same provider
    make_programme(session, budget_fen=1_000_000_00)
    provider = make_org(session, "provider")
    here, there = make_org(session, region_code=GUIYANG), make_org(session, region_code=ZUNYI)
    grant_wallet(session, here), grant_wallet(session, there)
    ours = make_claim(session, provider, [make_order(session, here, provider)], app.config["UPLOAD_DIR"])
    theirs = make_claim(session, provider, [make_order(session, there, provider)], app.config["UPLOAD_DIR"])
    city = make_staff(session, jurisdiction="5201")
    listed = client.get("/api/v1/claims", headers=token_for(session, city)).json
    assert [c["id"] for c in listed["items"]] == [ours.id]
    assert client.get(f"/api/v1/claims/{theirs.id}", headers=token_for(session, city)).status_code == 404
    refused = client.post(
        f"/api/v1/claims/{theirs.id}/review",
        json={"decision": "approve", "reason": "材料齐全"},
        headers=token_for(session, city),
    )
    assert refused.status_code == 404 and fresh(session).get(type(theirs), theirs.id).status.value == "submitted"
    sign_in(client, city)
    assert client.get(f"/claims/{theirs.id}").status_code == 404
    assert client.get(f"/claims/{ours.id}").status_code == 200
    # the province's staff see both
    province = make_staff(session)
    listed = client.get("/api/v1/claims", headers=token_for(session, province)).json
    assert {c["id"] for c in listed["items"]} == {ours.id, theirs.id}
