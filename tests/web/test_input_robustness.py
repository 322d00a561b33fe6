"""No input gives a 500 (issue 11, L1 and L2): huge ids in paths and lists, digits that are not
digits, amounts beyond any budget, JSON nested too deep or holding lone surrogates, control
characters in upload names. Each case as the API and the pages meet it."""

import io
import json
import re

import pytest

from shop.states import Role
from tests.helpers import (
    PDF,
    grant_wallet,
    make_order,
    make_org,
    make_programme,
    make_staff,
    member,
    sign_in,
    token_for,
)

HUGE = [2**31, 2**62, 2**63, 2**64, 10**30, "9" * 5000]


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def people(session):
    return {
        Role.ENTERPRISE: member(make_org(session)),
        Role.PROVIDER: member(make_org(session, "provider")),
        Role.OPERATOR: make_staff(session, Role.OPERATOR),
        Role.AUTHORITY: make_staff(session, Role.AUTHORITY),
        Role.FINANCE: make_staff(session, Role.FINANCE),
    }


def test_every_route_with_a_number_in_its_path_answers_404_for_numbers_past_any_id(app, client, session, people):
    tokens = {role: token_for(session, user) for role, user in people.items()}
    checked = 0
    for rule in app.url_map.iter_rules():
        numbers = [name for name, converter in rule._converters.items() if converter.regex == r"\d+"]
        if not numbers:
            continue
        view = app.view_functions[rule.endpoint]
        access = getattr(view, "_access", {})
        role = sorted(access.get("roles") or [Role.OPERATOR])[0]
        headers = tokens[role] if access.get("api") else {}
        if not access.get("api"):
            sign_in(client, people[role])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for huge in HUGE:
                url = re.sub(
                    r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
                    lambda m, huge=huge, numbers=numbers: str(huge) if m.group(1) in numbers else "1",
                    rule.rule,
                )
                response = client.open(url, method=method, headers=headers, json={} if access.get("api") else None)
                if huge == 2**31:  # an id some day (ids are 64-bit), a year never
                    assert response.status_code < 500, f"{method} {url[:80]}: {response.status_code}"
                else:  # (405 where another route of that path takes other methods)
                    assert response.status_code in (404, 405), f"{method} {url[:80]}: {response.status_code}"
                checked += 1
    assert checked > 300


def test_a_programme_year_past_any_year_is_not_found(client, session, people):
    headers = token_for(session, people[Role.ENTERPRISE])
    assert client.get("/api/v1/programmes/2147483648", headers=headers).status_code == 404
    assert client.get("/api/v1/programmes/0", headers=headers).status_code == 404
    sign_in(client, people[Role.AUTHORITY])
    assert client.get("/programmes/2147483648").status_code == 404


@pytest.mark.parametrize("order_ids", [[-(10**25)], ["²"], ["9" * 5000], [2**62], ["１２x"], [1.5], [True]])
def test_lists_of_ids_that_are_no_ids_are_a_validation_error(client, session, people, order_ids):
    response = client.post(
        "/api/v1/claims", json={"order_ids": order_ids}, headers=token_for(session, people[Role.PROVIDER])
    )
    assert (response.status_code, response.json["code"]) == (422, "validation_error")
    assert "order_ids" in response.json["errors"]


def test_pages_reading_lists_of_ids_by_hand_do_not_fail_on_odd_digits(client, session, people):
    for role in (Role.ENTERPRISE, Role.PROVIDER, Role.OPERATOR):
        sign_in(client, people[role])
        assert client.get("/orders?placed=²,9999999999999999999999,1").status_code == 200
    sign_in(client, people[Role.OPERATOR])
    response = client.post(
        "/operator/quota-applications/review", data={"application_ids": ["²", "9" * 30], "decision": "approve"}
    )
    assert response.status_code == 422
    sign_in(client, people[Role.PROVIDER])
    response = client.post("/provider/claims", data={"order_ids": ["²", "9" * 30]})
    assert response.status_code == 422


def test_amounts_in_yuan_past_any_budget_are_refused_beside_their_field(client, session, people):
    sign_in(client, people[Role.AUTHORITY])
    response = client.post(
        "/authority/programmes/new",
        data={
            "year": "2027",
            "budget": "92233720368547758.08",
            "enterprise_cap": "99999999999999999999",
            "ratio_infrastructure": "40",
            "ratio_platform": "60",
            "ratio_application": "60",
            "settlement_dates": "2027-06-30",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="e-budget"' in page and 'id="e-enterprise_cap"' in page and "金额过大" in page
    sign_in(client, people[Role.ENTERPRISE])
    listing = client.get("/products?min_price=99999999999999999999&max_price=" + "9" * 5000)
    assert listing.status_code == 200 and "金额过大" in listing.get_data(as_text=True)
    api = client.get("/api/v1/products?min_price_fen=" + "9" * 30)
    assert api.status_code == 422


def test_an_invoice_of_twenty_digit_yuan_is_refused(client, session, app):
    make_programme(session)
    enterprise, provider = make_org(session), make_org(session, "provider")
    grant_wallet(session, enterprise)
    order = make_order(session, enterprise, provider)
    from claims import services as claims
    from claims.commands import ClaimInput

    claim = claims.create_claim(session, member(provider), ClaimInput.from_input({"order_ids": [order.id]}))
    sign_in(client, member(provider))
    response = client.post(
        f"/claims/{claim.id}/documents",
        data={
            "kind": "invoice",
            "invoice_number": "52000001",
            "invoice_amount": "99999999999999999999",
            "file": (io.BytesIO(PDF), "invoice.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "金额过大" in response.get_data(as_text=True)


def deeply_nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "body",
    [
        deeply_nested(100_000),
        '{"a": ' * 50_000 + "1" + "}" * 50_000,
        json.dumps({"lines": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
    ],
)
def test_json_nested_too_deep_is_a_validation_error(client, session, people, body):
    headers = {**token_for(session, people[Role.ENTERPRISE]), "Content-Type": "application/json"}
    for url in ("/api/v1/checkout", "/api/v1/tokens", "/api/v1/organisations"):
        response = client.post(url, data=body, headers=headers)
        assert (response.status_code, response.json["code"]) == (422, "validation_error"), url


def test_a_lone_surrogate_in_json_is_a_validation_error(client, session, people):
    from tests.catalog_helpers import listing

    headers = {**token_for(session, people[Role.PROVIDER]), "Content-Type": "application/json"}
    body = json.dumps(listing(name="云服务器 \udc00"))  # "\\udc00" in the JSON text
    assert "\\udc00" in body
    response = client.post("/api/v1/products", data=body, headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "validation_error")
    key = '{"\\udc00": 1}'
    assert client.post("/api/v1/tokens", data=key, content_type="application/json").status_code == 422


def test_control_characters_in_an_upload_name_are_dropped_and_the_file_can_be_served(client, session, app):
    org = make_org(session, status="pending_certification")
    sign_in(client, member(org))
    files = {
        "business_licence": (io.BytesIO(PDF), "licence\x00\x7f.pdf"),
        "realname_form": (io.BytesIO(PDF), "\x1bform.pdf"),
        "contact_id_card": (io.BytesIO(PDF), "\x00"),
    }
    response = client.post("/organisation/certification", data=files, content_type="multipart/form-data")
    assert response.status_code == 302
    from sqlalchemy import select

    from orgs.models import CertificationDocument
    from tests.helpers import fresh

    documents = fresh(session).scalars(select(CertificationDocument).order_by(CertificationDocument.id)).all()
    assert [d.original_name for d in documents] == ["licence.pdf", "form.pdf", "document"]
    sign_in(client, make_staff(session, Role.OPERATOR))
    served = client.get(f"/documents/{documents[0].id}?download=1")
    assert served.status_code == 200
    assert not re.search(r"[\x00-\x1f]", served.headers["Content-Disposition"])


def test_an_audit_search_by_odd_digits_finds_nobody(client, session, people):
    headers = token_for(session, people[Role.OPERATOR])
    for actor in ("²", "１２", "9" * 18):
        assert client.get("/api/v1/audit", query_string={"actor": actor}, headers=headers).json["total"] == 0
        sign_in(client, people[Role.OPERATOR])
        assert client.get("/staff/audit", query_string={"actor": actor}).status_code == 200
