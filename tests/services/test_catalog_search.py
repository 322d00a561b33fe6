"""The public catalogue: filters with counts, sorting, paging, and search that works for Chinese and
English on SQLite (FTS5 trigram + substring scan) and PostgreSQL (pg_trgm) alike."""

import pytest
from sqlalchemy import select, text

from catalog import queries, search, services
from catalog.models import SEARCH_TABLE, TRIGRAM_INDEXES
from shop.db import is_sqlite
from tests.catalog_helpers import approve_both, change, make_product, make_provider
from tests.helpers import member


def find(session, q=None, **filters):
    query = search.CatalogueFilter.from_args({"q": q, **filters} if q else filters, strict=True)
    return [p.published_version.name for p in search.search_catalogue(session, query, 1, 100).items]


@pytest.fixture
def shelf(session):
    a, b = make_provider(session, name="贵州黔云科技有限公司"), make_provider(session, name="遵义筑数信息技术有限公司")
    products = {
        "ecs": make_product(
            session,
            a,
            name="云服务器 ECS 通用型 2核4G",
            category="compute",
            price_fen=18_900,
            market_price_fen=21_900,
            description="适合企业官网与开发测试环境。",
        ),
        "oss": make_product(
            session,
            a,
            name="对象存储 OSS 1TB/年",
            category="storage",
            price_fen=118_800,
            market_price_fen=142_800,
            description="海量非结构化数据的存储服务。",
        ),
        "backup": make_product(
            session,
            b,
            name="数据备份与容灾",
            category="storage",
            price_fen=980_000,
            market_price_fen=1_200_000,
            description="定时备份到异地存储，提供容灾演练服务。",
        ),
        "mysql": make_product(
            session,
            b,
            layer="platform",
            category="database",
            name="云数据库 MySQL 高可用版",
            price_fen=126_000,
            market_price_fen=148_000,
            description="MySQL 8.0 主备实例，自动备份，支持读写分离。",
        ),
        "mes": make_product(
            session,
            b,
            layer="application",
            category="production",
            name="MES 制造执行系统",
            price_fen=4_800_000,
            market_price_fen=5_600_000,
            description="生产计划与质量追溯，含 50% 实施服务费折扣。",
        ),
    }
    make_product(session, a, status="draft", name="存储网关 草稿", category="storage")
    make_product(session, a, status="submitted", name="存储加速 审核中", category="storage")
    return products


def test_the_hand_made_search_objects_exist(session):
    if is_sqlite(session):
        names = session.scalars(text("SELECT name FROM sqlite_master")).all()
        assert SEARCH_TABLE in names
        assert {"product_versions_fts_insert", "product_versions_fts_update", "product_versions_frozen"} <= set(names)
    else:
        indexes = session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'product_versions'")).all()
        assert set(TRIGRAM_INDEXES) <= set(indexes)


def test_a_two_character_chinese_query_finds_every_product_containing_it(session, shelf):
    # 存储 in a name and in a description; the draft and the product in review never show
    assert set(find(session, "存储")) == {"对象存储 OSS 1TB/年", "数据备份与容灾"}
    assert set(find(session, "服务")) == {
        "云服务器 ECS 通用型 2核4G",
        "对象存储 OSS 1TB/年",
        "数据备份与容灾",
        "MES 制造执行系统",
    }
    assert set(find(session, "备份")) == {"数据备份与容灾", "云数据库 MySQL 高可用版"}


def test_name_matches_come_first(session, shelf):
    assert find(session, "备份")[0] == "数据备份与容灾"  # in the name; MySQL has it only in its description
    assert find(session, "存储")[0] == "对象存储 OSS 1TB/年"
    assert find(session, "数据备份")[0] == "数据备份与容灾"


def test_english_words_of_any_length_any_case(session, shelf):
    assert find(session, "mysql") == ["云数据库 MySQL 高可用版"]
    assert find(session, "ECS") == ["云服务器 ECS 通用型 2核4G"]
    assert find(session, "oss") == ["对象存储 OSS 1TB/年"]
    assert find(session, "1tb") == ["对象存储 OSS 1TB/年"]


def test_longer_and_several_terms_must_all_match(session, shelf):
    assert find(session, "云服务器") == ["云服务器 ECS 通用型 2核4G"]
    assert find(session, "MySQL 读写分离") == ["云数据库 MySQL 高可用版"]
    assert find(session, "存储 容灾") == ["数据备份与容灾"]
    assert find(session, "存储 mysql") == []
    assert find(session, "不存在的产品") == []


def test_wildcards_and_quotes_in_a_query_are_plain_characters(session, shelf):
    assert find(session, "50%") == ["MES 制造执行系统"]
    assert find(session, "%") == ["MES 制造执行系统"]
    assert find(session, "_") == []
    assert find(session, '"') == [] and find(session, 'OSS"') == []


def test_search_follows_every_change_of_what_is_on_sale(session, shelf):
    product = shelf["ecs"]
    owner = member(product.provider)
    services.edit_product(
        session,
        owner,
        product.id,
        change({"name": "弹性计算 ECS 通用型", "description": "全新的产品描述文字，更换了机型。"}),
    )
    assert find(session, "云服务器") == ["云服务器 ECS 通用型 2核4G"]  # the change is not on sale yet
    assert find(session, "弹性计算") == []
    services.submit_product(session, owner, product.id)
    approve_both(session, product.id)
    assert find(session, "云服务器") == [] and find(session, "弹性计算") == ["弹性计算 ECS 通用型"]
    services.delist_product(session, owner, product.id, None)
    assert find(session, "弹性计算") == []


def test_filters_by_layer_category_provider_and_price_with_counts(session, shelf):
    assert set(find(session, layer="infrastructure")) == {
        "云服务器 ECS 通用型 2核4G",
        "对象存储 OSS 1TB/年",
        "数据备份与容灾",
    }
    assert set(find(session, category="storage")) == {"对象存储 OSS 1TB/年", "数据备份与容灾"}
    provider_id = shelf["mysql"].provider_id
    assert set(find(session, provider_id=str(provider_id))) == {
        "数据备份与容灾",
        "云数据库 MySQL 高可用版",
        "MES 制造执行系统",
    }
    assert set(find(session, min_price_fen="100000", max_price_fen="1000000")) == {
        "对象存储 OSS 1TB/年",
        "数据备份与容灾",
        "云数据库 MySQL 高可用版",
    }
    assert find(session, min_price="1,188", max_price="1188.00") == ["对象存储 OSS 1TB/年"]  # yuan from a page
    query = search.CatalogueFilter.from_args({"category": "storage"}, strict=True)
    facets = search.catalogue_facets(session, query)
    # counts of each facet ignore that facet's own filter, so that the other choices show their numbers
    assert facets.layers == {"infrastructure": 3, "platform": 1, "application": 1}
    assert facets.categories["storage"] == 2 and facets.categories["compute"] == 1
    assert sorted(n for _, _, n in facets.providers) == [1, 1]  # the storage products of each provider


def test_sorting_by_price_and_newest_and_paging(session, shelf):
    by_price = find(session, sort="price")
    assert by_price[0] == "云服务器 ECS 通用型 2核4G" and by_price[-1] == "MES 制造执行系统"
    assert find(session, sort="-price") == list(reversed(by_price))
    assert find(session, sort="newest")[0] == "MES 制造执行系统"
    query = search.CatalogueFilter.from_args({"sort": "price"}, strict=True)
    page = search.search_catalogue(session, query, 2, 2)
    assert page.total == 5 and [p.published_version.name for p in page.items] == by_price[2:4]


def test_bad_filters_are_refused_by_the_api_and_dropped_by_pages(session):
    with pytest.raises(Exception) as caught:
        search.CatalogueFilter.from_args({"layer": "cloud", "sort": "cheapest", "provider_id": "x"}, strict=True)
    assert set(caught.value.errors) == {"layer", "sort", "provider_id"}
    query = search.CatalogueFilter.from_args({"layer": "cloud", "min_price": "abc", "q": "存储"}, strict=False)
    assert query.layer is None and query.min_price_fen is None and "min_price" in query.errors
    assert query.sort == "relevance"
    mixed = search.CatalogueFilter.from_args({"layer": "platform", "category": "storage"}, strict=False)
    assert mixed.category is None and "category" in mixed.errors


def test_layer_ratios_come_from_the_hook_for_the_current_year(session):
    from shop import hooks

    assert hooks.layer_ratios(session, 2026) == {"infrastructure": 40, "platform": 60, "application": 60}


def test_versions_on_sale_serve_a_whole_cart_in_one_query(session, shelf):
    ids = [p.id for p in shelf.values()]
    draft = make_product(session, status="draft")
    versions = queries.versions_on_sale(session, ids + [draft.id, 999_999])
    assert set(versions) == set(ids)
    assert versions[shelf["oss"].id].price_fen == 118_800


def test_the_catalogue_is_fast_enough_to_page_without_a_query_per_row(session, shelf, app):
    from sqlalchemy import event

    statements = []
    engine = app.extensions["shop.engine"]

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        session.expire_all()
        query = search.CatalogueFilter.from_args({"q": "存储"}, strict=True)
        page = search.search_catalogue(session, query, 1, 20)
        for product in page.items:
            assert product.published_version.name and product.provider.name
        search.catalogue_facets(session, query)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 5  # count, page, two facet aggregates (and a BEGIN)


def test_seed_data_has_thirty_published_products_in_all_eleven_categories(session):
    from sqlalchemy import func

    from catalog.models import Product, ProductVersion
    from shop.seed import run_all

    run_all(session)
    run_all(session)  # idempotent
    rows = session.execute(
        select(ProductVersion.category, func.count())
        .join(Product, Product.published_version_id == ProductVersion.id)
        .group_by(ProductVersion.category)
    ).all()
    assert len(rows) == 11 and sum(n for _, n in rows) >= 30
    statuses = set(session.scalars(select(Product.status)).all())
    assert {"submitted", "operator_approved", "rejected", "draft"} <= {getattr(s, "value", s) for s in statuses}
    assert find(session, "服务") and find(session, "存储")
