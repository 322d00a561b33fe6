"""The catalogue's pages: browsing and search, the product page, the provider's listing pages with
inline validation, the review queues with a revision's difference, forced delisting, exit and
expulsion; ownership on every route."""

import io
import re

import pytest

from catalog import providers, services
from catalog.listing import ListingInput, Upload
from catalog.models import Product
from orgs.states import OrgStatus
from shop.states import Role
from tests.catalog_helpers import change, make_product, make_provider, notice, reviewers
from tests.helpers import PDF, fresh, make_staff, member, sign_in


def text(response):
    return response.get_data(as_text=True)


def form(**overrides):
    data = {
        "layer": "infrastructure",
        "category": "storage",
        "name": "对象存储 OSS 标准型 1TB/年",
        "unit": "年",
        "price": "1,188.00",
        "market_price": "1428",
        "market_price_evidence": "https://www.aliyun.com/price/product",
        "accepts_vouchers": "1",
        "description": "标准型对象存储容量包，1 TB 存储空间。\n\n适合图片、视频与备份归档。",
    }
    data.update(overrides)
    return data


# -- browsing -------------------------------------------------------------------------------------


def test_the_catalogue_shows_cards_with_price_market_price_and_voucher_share(client, session):
    make_product(session, name="对象存储 OSS 1TB/年", category="storage", price_fen=118_800, market_price_fen=142_800)
    make_product(
        session,
        name="协同办公 OA 100用户",
        layer="application",
        category="other_apps",
        price_fen=990_000,
        market_price_fen=1_200_000,
        accepts_vouchers=False,
    )
    page = text(client.get("/products"))
    assert "对象存储 OSS 1TB/年" in page and "¥1,188.00" in page and "¥1,428.00" in page
    assert "最高可抵 40%" in page and "不可用券" in page
    assert re.search(r'基础设施层 <span class="n">1</span>', page)  # facet counts
    assert "云服务目录" in page


def test_a_two_character_search_from_the_page_and_htmx_swaps_only_the_results(client, session):
    make_product(session, name="对象存储 OSS 1TB/年", category="storage")
    make_product(session, name="云服务器 ECS 2核4G")
    page = text(client.get("/products", query_string={"q": "存储"}))
    assert "对象<mark>存储</mark> OSS 1TB/年" in page and "云服务器 ECS 2核4G" not in page  # the term marked
    assert "“存储”的 1 个结果" in page
    partial = client.get(
        "/products", query_string={"q": "存储"}, headers={"HX-Request": "true", "HX-Target": "catalogue"}
    )
    assert "<html" not in text(partial) and 'id="catalogue"' in text(partial)
    empty = text(client.get("/products", query_string={"q": "不存在的东西"}))
    assert "没有与“不存在的东西”匹配的产品" in empty


def test_bad_filters_on_the_page_are_shown_not_failed(client, session):
    response = client.get(
        "/products", query_string={"min_price": "abc", "layer": "nonsense", "sort": "x", "page": "-3"}
    )
    assert response.status_code == 200 and "field-error" in text(response)


def test_the_product_page_renders_the_description_safely_and_keeps_a_place_for_buying(client, session):
    product = make_product(
        session,
        description="第一段 **要点**\n\n<script>alert('x')</script>\n\n"
        "[恶意](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    page = text(client.get(f"/products/{product.id}"))
    assert "<strong>要点</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="javascript' not in page and "<img src=x" not in page
    assert 'id="add-to-cart"' in page and "公开价格页面" in page and "市场参考价" in page
    assert "¥189.00" in page and "¥219.00" in page and "最高可抵 40%" in page


def test_a_product_not_on_sale_is_not_found_by_strangers(client, session):
    draft = make_product(session, status="draft")
    assert client.get(f"/products/{draft.id}").status_code == 404
    sign_in(client, member(make_provider(session)))
    assert client.get(f"/products/{draft.id}").status_code == 404
    sign_in(client, member(draft.provider))
    page = text(client.get(f"/products/{draft.id}"))
    assert "草稿" in page


def test_the_home_page_leads_into_the_catalogue(client, session):
    make_product(session, name="云数据库 MySQL 高可用版", layer="platform", category="database")
    page = text(client.get("/"))
    assert "云数据库 MySQL 高可用版" in page and 'action="/products"' in page and "平台系统层" in page


# -- the provider's pages -------------------------------------------------------------------------


def test_a_provider_lists_a_product_through_the_form(client, session):
    provider = make_provider(session)
    sign_in(client, member(provider))
    assert "发布产品" in text(client.get("/provider/products/new"))
    response = client.post("/provider/products/new", data=form(), follow_redirects=True)
    assert response.status_code == 200
    page = text(response)
    assert "对象存储 OSS 标准型 1TB/年" in page and "草稿" in page
    product = fresh(session).query(Product).one()
    assert product.current_version.price_fen == 118_800 and product.current_version.market_price_fen == 142_800
    response = client.post(f"/provider/products/{product.id}/submit", follow_redirects=True)
    assert "待运营方审核" in text(response)


def test_the_form_keeps_the_input_and_shows_each_message_beside_its_field(client, session):
    sign_in(client, member(make_provider(session)))
    response = client.post("/provider/products/new", data=form(price="1500", market_price="1,234.56", name="对象存储X"))
    assert response.status_code == 422
    page = text(response)
    message = re.search(r'<small id="e-price"[^>]*>([^<]*)</small>', page).group(1)
    assert "¥1,500.00" in message and "¥1,234.56" in message
    assert 'value="对象存储X"' in page
    response = client.post("/provider/products/new", data=form(category="database", price="abc"))
    page = text(response)
    assert re.search(r'<small id="e-category"[^>]*>[^<]+</small>', page)
    assert re.search(r'<small id="e-price"[^>]*>[^<]+</small>', page)


def test_a_quote_file_can_be_the_evidence_on_the_page(client, session):
    sign_in(client, member(make_provider(session)))
    data = form(market_price_evidence="")
    data["market_price_evidence_file"] = (io.BytesIO(PDF), "报价单.pdf")
    response = client.post("/provider/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert fresh(session).query(Product).one().current_version.evidence_original_name == "报价单.pdf"


def test_inline_validation_answers_each_field_out_of_band_and_leaves_empty_fields_alone(client, session):
    sign_in(client, member(make_provider(session)))
    response = client.post(
        "/provider/products/validate",
        data=form(price="2000", market_price="1000", name="", description=""),
        headers={"HX-Request": "true"},
    )
    page = text(response)
    assert response.status_code == 200
    assert re.search(
        r'<small id="e-price" class="field-error" aria-live="polite" hx-swap-oob="true">[^<]*¥2,000.00', page
    )
    assert '<small id="e-name" class="field-error" aria-live="polite" hx-swap-oob="true"></small>' in page
    options = text(client.get("/provider/products/categories?layer=platform"))
    assert "数据库" in options and "存储" not in options


def test_changing_a_published_product_says_the_approved_version_keeps_selling(client, session):
    product = make_product(session, price_fen=18_900)
    sign_in(client, member(product.provider))
    page = text(client.get(f"/provider/products/{product.id}/edit"))
    assert 'value="189.00"' in page and "¥189.00" in page
    response = client.post(
        f"/provider/products/{product.id}/edit",
        data=form(category="compute", price="169", market_price="219", name=product.current_version.name),
        follow_redirects=True,
    )
    assert "已保存" in text(response)
    listing = text(client.get("/provider/products"))
    assert "在售" in listing and "¥169.00" in listing and "¥189.00" in listing
    assert client.get(f"/api/v1/products/{product.id}").json["price_fen"] == 18_900


def test_the_provider_sees_the_reviewers_reason_and_can_delist(client, session):
    rejected = make_product(session, status="rejected")
    sign_in(client, member(rejected.provider))
    page = text(client.get("/provider/products"))
    assert "证据不足" in page and "已驳回" in page
    published = make_product(session, rejected.provider)
    response = client.post(
        f"/provider/products/{published.id}/delist", data={"reason": "停止销售"}, follow_redirects=True
    )
    assert "已下架" in text(response)
    assert fresh(session).get(Product, published.id).status.value == "delisted"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/provider/products/{id}/edit"),
        ("POST", "/provider/products/{id}/edit"),
        ("POST", "/provider/products/{id}/submit"),
        ("POST", "/provider/products/{id}/delist"),
        ("POST", "/provider/products/validate?product_id={id}"),
        ("GET", "/products/{id}"),
        ("GET", "/products/{id}/evidence/{version_id}"),
    ],
)
def test_another_provider_gets_not_found_on_every_route_of_a_draft(client, session, app, method, path):
    draft = services.create_product(
        session,
        member(make_provider(session)),
        ListingInput.from_input(
            {
                "layer": "infrastructure",
                "category": "compute",
                "name": "云服务器 草稿",
                "unit": "月",
                "price_fen": 100,
                "market_price_fen": 200,
                "description": "一台草稿状态的云服务器，仅供测试。",
                "accepts_vouchers": True,
            },
            evidence=Upload(io.BytesIO(PDF), "q.pdf"),
        ),
        app.config["UPLOAD_DIR"],
    )
    sign_in(client, member(make_provider(session)))
    url = path.format(id=draft.id, version_id=draft.current_version_id)
    assert client.open(url, method=method, data=form()).status_code == 404
    sign_in(client, member(draft.provider))
    if method == "GET":
        assert client.open(url, method=method).status_code == 200


# -- review, oversight, exit ----------------------------------------------------------------------


def test_the_review_queue_counts_in_the_navigation_and_shows_a_revision_as_a_difference(client, session):
    product = make_product(
        session, price_fen=118_800, market_price_fen=142_800, description="原来的描述第一行。\n第二行不变。"
    )
    owner = member(product.provider)
    services.edit_product(
        session, owner, product.id, change({"price_fen": 109_900, "description": "新的描述第一行。\n第二行不变。"})
    )
    services.submit_product(session, owner, product.id)
    make_product(session, status="submitted")
    sign_in(client, reviewers(session).operator)
    queue = text(client.get("/staff/product-reviews"))
    assert re.search(r'产品审核 <span class="count"[^>]*>2</span>', queue)
    assert "在售产品的变更" in queue
    page = text(client.get(f"/staff/products/{product.id}"))
    assert 'class="diff-old"' in page and "¥1,188.00" in page and "¥1,099.00" in page
    assert 'class="ld-removed">− 原来的描述第一行。' in page and 'class="ld-added">+ 新的描述第一行。' in page


def test_approve_and_reject_in_place_with_htmx(client, session):
    first, second = make_product(session, status="submitted"), make_product(session, status="submitted")
    sign_in(client, reviewers(session).operator)
    htmx = {"HX-Request": "true"}
    response = client.post(
        f"/staff/products/{first.id}/review", data={"decision": "reject", "reason": ""}, headers=htmx
    )
    assert response.status_code == 200 and 'id="decision"' in text(response) and "此项为必填项" in text(response)
    response = client.post(f"/staff/products/{first.id}/review", data={"decision": "approve"}, headers=htmx)
    page = text(response)
    assert 'id="decision"' in page and "省大数据局" in page and f"/staff/products/{second.id}" in page
    response = client.post(f"/staff/products/{second.id}/review", data={"decision": "reject", "reason": "价格依据过期"})
    assert response.status_code == 302
    sign_in(client, reviewers(session).authority)
    response = client.post(f"/staff/products/{first.id}/review", data={"decision": "approve"}, follow_redirects=True)
    assert "已上架" in text(response) or "已发布" in text(response)
    assert fresh(session).get(Product, first.id).status.value == "published"


def test_the_operator_forces_delisting_with_a_reason(client, session):
    product = make_product(session)
    sign_in(client, reviewers(session).operator)
    response = client.post(f"/operator/products/{product.id}/delist", data={"reason": ""})
    assert response.status_code == 422 and "此项为必填项" in text(response)
    response = client.post(
        f"/operator/products/{product.id}/delist", data={"reason": "服务与描述不符"}, follow_redirects=True
    )
    assert "服务与描述不符" in text(response)
    assert client.get(f"/api/v1/products/{product.id}").status_code == 404


def test_staff_see_every_product(client, session):
    make_product(session, status="draft", name="草稿产品甲")
    sign_in(client, make_staff(session, Role.AUTHORITY))
    assert "草稿产品甲" in text(client.get("/staff/products"))
    assert "草稿产品甲" in text(client.get("/staff/products?status=draft&q=草稿"))


def test_a_provider_gives_notice_from_its_pages(client, session, today):
    today("2026-11-24")
    provider = make_provider(session)
    sign_in(client, member(provider))
    assert "退出平台" in text(client.get("/organisation"))
    page = text(client.get("/provider/exit"))
    assert "2026年12月24日" in page
    response = client.post("/provider/exit", data={"reason": "业务调整"})
    assert response.status_code == 422
    response = client.post("/provider/exit", data={"reason": "业务调整", "confirm": "1"}, follow_redirects=True)
    assert "2026年12月24日" in text(response)
    assert fresh(session).get(type(provider), provider.id).status == OrgStatus.EXITING


def test_the_operator_expels_a_provider_from_its_page(client, session):
    provider = make_provider(session)
    make_product(session, provider)
    sign_in(client, reviewers(session).operator)
    assert "清退该服务商" in text(client.get(f"/staff/organisations/{provider.id}"))
    page = text(client.get(f"/operator/organisations/{provider.id}/expel"))
    assert "1" in page and provider.uscc in page
    response = client.post(f"/operator/organisations/{provider.id}/expel", data={"reason": ""})
    assert response.status_code == 422
    response = client.post(
        f"/operator/organisations/{provider.id}/expel",
        data={"reason": "骗取补贴", "blacklist": "1"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert fresh(session).get(type(provider), provider.id).status == OrgStatus.EXPELLED
    assert provider.uscc in text(client.get("/operator/blacklist"))


def test_the_first_request_of_the_day_settles_the_exits_that_are_due(client, session, today):
    today("2026-11-24")
    provider = make_provider(session)
    product = make_product(session, provider)
    providers.request_exit(session, member(provider), provider.id, notice("业务调整"))
    client.get("/products")
    assert fresh(session).get(Product, product.id).status.value == "published"
    today("2026-12-24")
    assert product.current_version.name not in text(client.get("/products"))
    assert fresh(session).get(Product, product.id).status.value == "delisted"
    assert fresh(session).get(type(provider), provider.id).status == OrgStatus.EXITED


def test_the_settle_exits_command(app, session, today):
    today("2026-11-24")
    provider = make_provider(session)
    providers.request_exit(session, member(provider), provider.id, notice("业务调整"))
    today("2027-01-01")
    result = app.test_cli_runner().invoke(args=["settle-exits"])
    assert result.exit_code == 0 and "1 provider exit(s) completed" in result.output
