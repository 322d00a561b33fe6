"""The Catalogue calls and exit/expel of API.md, as written, with each error code."""

import io

import pytest

from catalog.models import Product
from orgs.models import BlacklistEntry, Organisation
from orgs.states import OrgStatus
from shop.states import Role
from tests.catalog_helpers import listing, make_product, make_provider
from tests.helpers import PDF, fresh, make_org, make_staff, member, registration, token_for


@pytest.fixture
def provider(session):
    return make_provider(session)


@pytest.fixture
def owner(session, provider):
    return token_for(session, member(provider))


@pytest.fixture
def operator(session):
    return token_for(session, make_staff(session, Role.OPERATOR))


@pytest.fixture
def authority(session):
    return token_for(session, make_staff(session, Role.AUTHORITY))


def problem(response, status, code):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code and {"type", "title", "status", "detail"} <= set(response.json)
    return response.json


def test_a_listing_goes_from_draft_to_published_through_the_api(client, owner, operator, authority):
    response = client.post(
        "/api/v1/products",
        json=listing(
            name="云数据库 MySQL 高可用版",
            layer="platform",
            category="database",
            price_fen=126_000,
            market_price_fen=148_000,
        ),
        headers=owner,
    )
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "draft" and isinstance(body["id"], int)
    assert {
        k: body[k]
        for k in (
            "layer",
            "category",
            "name",
            "unit",
            "price_fen",
            "market_price_fen",
            "market_price_evidence",
            "accepts_vouchers",
        )
    } == {
        "layer": "platform",
        "category": "database",
        "name": "云数据库 MySQL 高可用版",
        "unit": "月",
        "price_fen": 126_000,
        "market_price_fen": 148_000,
        "market_price_evidence": "https://www.aliyun.com/price/product",
        "accepts_vouchers": True,
    }
    product_id = body["id"]
    assert client.get(f"/api/v1/products/{product_id}").status_code == 404  # a draft is nobody else's business
    response = client.post(f"/api/v1/products/{product_id}/submit", headers=owner)
    assert (response.status_code, response.json["status"]) == (200, "submitted")
    response = client.post(f"/api/v1/products/{product_id}/review", json={"decision": "approve"}, headers=operator)
    assert (response.status_code, response.json["status"]) == (200, "operator_approved")
    response = client.post(
        f"/api/v1/products/{product_id}/review", json={"decision": "approve", "reason": ""}, headers=authority
    )
    assert (response.status_code, response.json["status"]) == (200, "published")
    public = client.get(f"/api/v1/products/{product_id}").json
    assert public["status"] == "published" and public["voucher_ratio_percent"] == 60
    assert public["max_voucher_fen"] == 75_600 and "status_reason" not in public
    listed = client.get("/api/v1/products?q=mysql").json
    assert listed["total"] == 1 and listed["items"][0]["id"] == product_id
    assert set(listed) == {"items", "total", "page", "per_page"}


def test_price_above_market_is_a_422_stating_both_prices(client, owner):
    body = problem(
        client.post("/api/v1/products", json=listing(price_fen=130_000, market_price_fen=123_456), headers=owner),
        422,
        "price_above_market",
    )
    assert "¥1,300.00" in body["detail"] and "¥1,234.56" in body["detail"]
    assert "price_fen" in body["errors"]


def test_price_above_market_on_patch_too(client, session, provider, owner):
    product = make_product(session, provider, status="draft", price_fen=10_000, market_price_fen=12_000)
    body = problem(
        client.patch(f"/api/v1/products/{product.id}", json={"price_fen": 15_000}, headers=owner),
        422,
        "price_above_market",
    )
    assert "¥150.00" in body["detail"] and "¥120.00" in body["detail"]


def test_validation_errors_name_each_field(client, owner):
    body = problem(
        client.post(
            "/api/v1/products", json={"layer": "platform", "category": "storage", "price_fen": 1.5}, headers=owner
        ),
        422,
        "validation_error",
    )
    assert {"category", "name", "description", "unit", "price_fen", "market_price_fen"} <= set(body["errors"])
    problem(
        client.post("/api/v1/products", data="not json", content_type="application/json", headers=owner),
        422,
        "validation_error",
    )


def test_only_certified_providers_list(client, session):
    pending = make_provider(session, status=OrgStatus.UNDER_REVIEW)
    problem(
        client.post("/api/v1/products", json=listing(), headers=token_for(session, member(pending))),
        403,
        "not_certified",
    )
    problem(
        client.post("/api/v1/products", json=listing(), headers=token_for(session, member(make_org(session)))),
        403,
        "forbidden",
    )
    problem(client.post("/api/v1/products", json=listing()), 401, "unauthorized")


def test_a_quote_can_be_uploaded_as_the_evidence(client, session, owner):
    data = listing()
    data.pop("market_price_evidence")
    form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in data.items()}
    form["market_price_evidence"] = (io.BytesIO(PDF), "报价单.pdf")
    response = client.post("/api/v1/products", data=form, headers=owner, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    assert response.json["market_price_evidence_kind"] == "quote"
    link = response.json["market_price_evidence"]
    assert client.get(link, headers=owner).data == PDF
    assert client.get(link).status_code == 404  # not on sale: not public yet
    assert client.get(link, headers=token_for(session, member(make_provider(session)))).status_code == 404


def test_patch_of_a_published_product_keeps_its_approved_version_on_sale(
    client, session, provider, owner, operator, authority
):
    product = make_product(session, provider, price_fen=18_900, market_price_fen=21_900)
    response = client.patch(f"/api/v1/products/{product.id}", json={"price_fen": 16_900}, headers=owner)
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "published" and body["price_fen"] == 16_900 and body["on_sale"] is True
    assert body["published"]["price_fen"] == 18_900 and body["version_id"] != body["published_version_id"]
    assert client.get(f"/api/v1/products/{product.id}").json["price_fen"] == 18_900
    assert client.post(f"/api/v1/products/{product.id}/submit", headers=owner).json["status"] == "submitted"
    assert client.get(f"/api/v1/products/{product.id}").json["price_fen"] == 18_900
    client.post(f"/api/v1/products/{product.id}/review", json={"decision": "approve"}, headers=operator)
    client.post(f"/api/v1/products/{product.id}/review", json={"decision": "approve"}, headers=authority)
    assert client.get(f"/api/v1/products/{product.id}").json["price_fen"] == 16_900
    versions = client.get(f"/api/v1/products/{product.id}/versions", headers=owner).json
    assert [(v["version_number"], v["price_fen"], v["on_sale"]) for v in versions["items"]] == [
        (2, 16_900, True),
        (1, 18_900, False),
    ]


def test_invalid_state_for_steps_out_of_order(client, session, provider, owner, operator, authority):
    product = make_product(session, provider, status="submitted")
    problem(
        client.post(f"/api/v1/products/{product.id}/review", json={"decision": "approve"}, headers=authority),
        409,
        "invalid_state",
    )
    problem(
        client.patch(f"/api/v1/products/{product.id}", json={"name": "新名字新名字"}, headers=owner),
        409,
        "invalid_state",
    )
    problem(client.post(f"/api/v1/products/{product.id}/submit", headers=owner), 409, "invalid_state")
    body = problem(
        client.post(f"/api/v1/products/{product.id}/review", json={"decision": "reject"}, headers=operator),
        422,
        "validation_error",
    )
    assert "reason" in body["errors"]
    response = client.post(
        f"/api/v1/products/{product.id}/review", json={"decision": "reject", "reason": "图片不清"}, headers=operator
    )
    assert response.json["status"] == "rejected" and response.json["status_reason"] == "图片不清"


def test_delisting_by_owner_and_operator(client, session, provider, owner, operator, authority):
    mine, other = make_product(session, provider), make_product(session)
    response = client.post(f"/api/v1/products/{mine.id}/delist", json={}, headers=owner)
    assert (response.status_code, response.json["status"]) == (200, "delisted")
    assert client.get(f"/api/v1/products/{mine.id}").status_code == 404
    problem(client.post(f"/api/v1/products/{mine.id}/delist", json={}, headers=owner), 409, "invalid_state")
    problem(client.post(f"/api/v1/products/{other.id}/delist", json={}, headers=operator), 422, "validation_error")
    response = client.post(f"/api/v1/products/{other.id}/delist", json={"reason": "虚假宣传"}, headers=operator)
    assert response.json["status"] == "delisted" and response.json["status_reason"] == "虚假宣传"
    problem(
        client.post(f"/api/v1/products/{other.id}/delist", json={"reason": "x"}, headers=authority), 403, "forbidden"
    )


def test_another_providers_products_do_not_exist_for_a_provider(client, session, owner):
    draft, published = make_product(session, status="draft"), make_product(session)
    for product in (draft, published):
        pid = product.id
        for method, url, body in [
            ("PATCH", f"/api/v1/products/{pid}", {"price_fen": 1}),
            ("POST", f"/api/v1/products/{pid}/submit", None),
            ("POST", f"/api/v1/products/{pid}/delist", {}),
            ("GET", f"/api/v1/products/{pid}/versions", None),
            ("GET", f"/api/v1/organisations/{product.provider_id}/products", None),
        ]:
            problem(client.open(url, method=method, json=body, headers=owner), 404, "not_found")
    problem(client.get(f"/api/v1/products/{draft.id}", headers=owner), 404, "not_found")
    assert client.get(f"/api/v1/products/{published.id}", headers=owner).json["status"] == "published"


def test_owner_and_staff_see_any_status(client, session, provider, owner, operator):
    draft = make_product(session, provider, status="draft")
    assert client.get(f"/api/v1/products/{draft.id}", headers=owner).json["status"] == "draft"
    assert client.get(f"/api/v1/products/{draft.id}", headers=operator).json["status"] == "draft"
    mine = client.get(f"/api/v1/organisations/{provider.id}/products", headers=owner).json
    assert mine["total"] == 1 and mine["items"][0]["status"] == "draft"
    problem(client.get("/api/v1/products/999999"), 404, "not_found")


def test_the_catalogue_filters_sorts_pages_and_refuses_bad_filters(client, session):
    for price in (30_000, 10_000, 20_000):
        make_product(session, price_fen=price, market_price_fen=40_000)
    make_product(session, layer="platform", category="database")
    by_price = client.get("/api/v1/products?layer=infrastructure&sort=price&per_page=2").json
    assert [i["price_fen"] for i in by_price["items"]] == [10_000, 20_000] and by_price["total"] == 3
    assert by_price["per_page"] == 2 and by_price["page"] == 1
    assert client.get("/api/v1/products?category=database").json["total"] == 1
    assert client.get("/api/v1/products?min_price_fen=15000&max_price_fen=25000").json["total"] == 2
    assert client.get("/api/v1/products?per_page=1000").json["per_page"] == 100
    for bad in (
        "layer=cloud",
        "category=toys",
        "sort=cheap",
        "provider_id=abc",
        "min_price_fen=1.5",
        "layer=platform&category=storage",
    ):
        problem(client.get(f"/api/v1/products?{bad}"), 422, "validation_error")


def test_the_voucher_share_follows_the_programme_ratios(client, session):
    from shop import hooks

    make_product(session)
    hooks.set_ratio_source(lambda s, year: {"infrastructure": 30, "platform": 50, "application": 50})
    try:
        item = client.get("/api/v1/products").json["items"][0]
        assert item["voucher_ratio_percent"] == 30 and item["max_voucher_fen"] == 18_900 * 30 // 100
    finally:
        hooks.set_ratio_source(None)


def test_review_queue_and_exit_and_expel(client, session, provider, owner, operator):
    make_product(session, provider, status="submitted")
    queue = client.get("/api/v1/product-reviews", headers=operator).json
    assert queue["total"] == 1 and queue["items"][0]["status"] == "submitted"

    response = client.post(f"/api/v1/organisations/{provider.id}/exit", json={"reason": "业务调整"}, headers=owner)
    assert response.status_code == 200
    assert response.json["status"] == "exiting" and response.json["effective_on"]
    problem(
        client.post(f"/api/v1/organisations/{provider.id}/exit", json={"reason": "again"}, headers=owner),
        409,
        "invalid_state",
    )
    other = make_provider(session)
    problem(
        client.post(f"/api/v1/organisations/{other.id}/exit", json={"reason": "x"}, headers=owner), 404, "not_found"
    )
    problem(
        client.post(f"/api/v1/organisations/{other.id}/exit", json={}, headers=token_for(session, member(other))),
        422,
        "validation_error",
    )
    problem(
        client.post(f"/api/v1/organisations/{other.id}/exit", json={"reason": "x"}, headers=operator), 403, "forbidden"
    )

    response = client.post(
        f"/api/v1/organisations/{provider.id}/expel", json={"reason": "骗取补贴", "blacklist": True}, headers=operator
    )
    assert response.status_code == 200 and response.json["status"] == "expelled"
    assert response.json["delisted"] == 1 and response.json["blacklisted"] is True
    assert {p.status.value for p in fresh(session).query(Product).filter_by(provider_id=provider.id)} == {"delisted"}
    assert session.query(BlacklistEntry).filter_by(uscc=provider.uscc).count() == 1
    again = client.post("/api/v1/organisations", json=registration(kind="provider", uscc=provider.uscc))
    problem(again, 403, "blacklisted")
    problem(
        client.post(f"/api/v1/organisations/{provider.id}/expel", json={"reason": "x"}, headers=operator),
        409,
        "invalid_state",
    )
    problem(client.post("/api/v1/organisations/999999/expel", json={"reason": "x"}, headers=operator), 404, "not_found")
    problem(client.post(f"/api/v1/organisations/{other.id}/expel", json={}, headers=operator), 422, "validation_error")
    problem(
        client.post(f"/api/v1/organisations/{other.id}/expel", json={"reason": "x"}, headers=owner), 403, "forbidden"
    )
    assert fresh(session).get(Organisation, other.id).status == OrgStatus.CERTIFIED


def test_the_product_trail_is_in_the_audit_api(client, session, operator):
    product = make_product(session)
    trail = client.get(f"/api/v1/audit?subject_type=product&subject_id={product.id}", headers=operator).json
    assert [e["action"] for e in trail["items"]] == ["authority_approve", "operator_approve", "submit", "create"]


def test_the_openapi_document_lists_the_catalogue(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path, method in [
        ("/products", "get"),
        ("/products", "post"),
        ("/products/{product_id}", "get"),
        ("/products/{product_id}", "patch"),
        ("/products/{product_id}/submit", "post"),
        ("/products/{product_id}/review", "post"),
        ("/products/{product_id}/delist", "post"),
        ("/organisations/{org_id}/exit", "post"),
        ("/organisations/{org_id}/expel", "post"),
    ]:
        assert method in paths[path], (path, method)
    create = paths["/products"]["post"]
    assert "201" in create["responses"] and "422" in create["responses"]
    assert "security" not in paths["/products"]["get"]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        "\\",
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "***",
        "^abc",
        "-x-",
        "col:abc",
        "😀😀😀",
        "a" * 300,
        "存储 " * 20,
        "%_%",
        "\x00\x01",
    ],
)
def test_no_query_text_breaks_the_search(client, session, q):
    make_product(session, name="对象存储 AND OR 😀😀😀 col:abc")
    response = client.get("/api/v1/products", query_string={"q": q})
    assert response.status_code in (200, 422), response.json
    page = client.get("/products", query_string={"q": q})
    assert page.status_code == 200
