"""The evidence of a quota application's facts on the pages and in the API (issue 13: "the reviewer
sees the facts with their evidence"): the enterprise uploads from its wallets page or the API, a file
is recognised by its content and bounded in size, the operator of the district sees each document
beside its fact and opens it; another enterprise and the staff of another jurisdiction get 404, and
nothing is added after the decision. 2 March 2026 is a Monday."""

import io
import re

import pytest

from shop.inputs import Decision
from shop.states import Role
from tests.helpers import PDF, PNG, make_org, make_staff, member, sign_in, token_for
from tests.web.test_pages_grants import BAIYUN, WAN, apply, baiyun_programme
from wallet import grant_upkeep, services


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def baiyun(session):
    baiyun_programme(session)
    return make_org(session, region_code=BAIYUN, name="广州白云云创科技有限公司")


def text(response):
    return response.get_data(as_text=True)


def post_file(client, url, data=PDF, name="完税证明.pdf", fact="last_year_tax_fen", **kwargs):
    return client.post(
        url, data={"fact": fact, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data", **kwargs
    )


def test_the_owner_uploads_from_the_wallets_page_and_the_operator_sees_it_beside_the_fact(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=600 * WAN)
    sign_in(client, member(baiyun))
    page = text(client.get("/wallets"))
    assert f'action="/wallets/{application.id}/documents"' in page and "完税证明.pdf" not in page
    response = post_file(client, f"/wallets/{application.id}/documents")
    assert response.status_code == 302
    page = text(client.get("/wallets"))
    assert "完税证明.pdf" in page
    sign_in(client, make_staff(session, Role.OPERATOR, jurisdiction=BAIYUN))
    review = text(client.get(f"/operator/quota-applications/{application.id}"))
    link = f"/quota-applications/{application.id}/documents/"
    assert "完税证明.pdf" in review and link in review
    # the document is listed in the fact's row, beside the taxes declared
    row = re.search(r"<dt>上年度纳税额</dt><dd>(.*?)</dd>", review, re.S)
    assert row and "¥6,000,000.00" in row.group(1) and "完税证明.pdf" in row.group(1)
    href = review[review.index(link) :].split('"')[0]
    served = client.get(href)
    assert served.status_code == 200 and served.data == PDF and served.headers["Cache-Control"] == "private, no-store"


def test_refused_types_and_sizes_are_shown_beside_the_field(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    sign_in(client, member(baiyun))
    response = post_file(client, f"/wallets/{application.id}/documents", data=b"MZ\x90\x00 not a pdf", name="x.pdf")
    assert response.status_code == 422 and f'id="e-f-doc-{application.id}-file"' in text(response)
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    response = post_file(client, f"/wallets/{application.id}/documents", data=big, name="big.pdf")
    assert response.status_code in (413, 422)
    response = post_file(client, f"/wallets/{application.id}/documents", fact="employees")
    assert response.status_code == 422 and f'id="e-f-doc-{application.id}-fact"' in text(response)


def test_another_enterprise_and_staff_of_another_jurisdiction_get_404(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    owner = token_for(session, member(baiyun))
    created = post_file(client, f"/api/v1/quota-applications/{application.id}/documents", headers=owner)
    document_id = created.get_json()["id"]
    other = make_org(session, region_code=BAIYUN)
    sign_in(client, member(other))
    assert post_file(client, f"/wallets/{application.id}/documents").status_code == 404
    assert client.get(f"/quota-applications/{application.id}/documents/{document_id}").status_code == 404
    for outsider in (member(other), make_staff(session, Role.OPERATOR, jurisdiction="5201")):
        headers = token_for(session, outsider)
        base = f"/api/v1/quota-applications/{application.id}/documents"
        assert client.get(base, headers=headers).status_code == 404
        assert client.get(f"{base}/{document_id}", headers=headers).status_code == 404
    assert post_file(client, base, headers=token_for(session, member(other))).status_code == 404
    sign_in(client, make_staff(session, Role.OPERATOR, jurisdiction="5201"))
    assert client.get(f"/quota-applications/{application.id}/documents/{document_id}").status_code == 404


def test_the_api_adds_lists_and_serves_the_evidence(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=600 * WAN)
    headers = token_for(session, member(baiyun))
    base = f"/api/v1/quota-applications/{application.id}/documents"
    created = post_file(client, base, data=PNG, name="scan.png", headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert (body["fact"], body["name"], body["content_type"]) == ("last_year_tax_fen", "scan.png", "image/png")
    refused = post_file(client, base, data=b"plain text", name="a.png", headers=headers)
    assert refused.status_code == 422 and refused.get_json()["code"] == "validation_error"
    staff = token_for(session, make_staff(session, Role.OPERATOR, jurisdiction=BAIYUN))
    listed = client.get(base, headers=staff).get_json()["items"]
    assert [d["id"] for d in listed] == [body["id"]]
    served = client.get(f"{base}/{body['id']}", headers=staff)
    assert served.status_code == 200 and served.data == PNG
    assert post_file(client, base, headers=staff).status_code == 403  # staff read, they do not add


def test_no_evidence_is_added_after_the_decision(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    grant_upkeep.return_for_completion(session, make_staff(session, Role.OPERATOR), application.id, "缺少完税证明")
    sign_in(client, member(baiyun))
    assert f'action="/wallets/{application.id}/documents"' in text(client.get("/wallets"))  # returned: still open
    grant_upkeep.complete(session, member(baiyun), application.id, {"last_year_tax_fen": 0})
    services.review_application(session, make_staff(session, Role.OPERATOR), application.id, Decision(approve=True))
    assert f'action="/wallets/{application.id}/documents"' not in text(client.get("/wallets"))
    response = post_file(client, f"/wallets/{application.id}/documents")
    assert response.status_code == 409
    api = post_file(
        client, f"/api/v1/quota-applications/{application.id}/documents", headers=token_for(session, member(baiyun))
    )
    assert api.status_code == 409 and api.get_json()["code"] == "invalid_state"


def test_the_openapi_document_describes_the_upload(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documents = spec["paths"]["/quota-applications/{application_id}/documents"]
    assert (
        "multipart/form-data" in documents["post"]["requestBody"]["content"] and "201" in documents["post"]["responses"]
    )
    served = spec["paths"]["/quota-applications/{application_id}/documents/{document_id}"]["get"]
    assert "application/pdf" in served["responses"]["200"]["content"]
