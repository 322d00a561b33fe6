"""Catalogue benchmark: 5,000 published products, then search and catalogue pages timed on SQLite and
PostgreSQL. The figures go into docs/benchmarks.md.

    .venv/bin/python bench/catalog_bench.py                       # SQLite only
    .venv/bin/python bench/catalog_bench.py --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test

The PostgreSQL run creates a database named after the given one with the suffix ``_bench_catalog``
(dropped at the end unless ``--keep``). Timings are in-process (Flask test client, no network): the median and the 95th
percentile of ``--repeat`` runs, after one warm-up run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SHOP_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from catalog import search
from catalog.models import Product, ProductVersion  # noqa: E402
from orgs.demo import make_uscc
from orgs.models import Organisation
from shop import clock, create_app, policy  # noqa: E402
from shop.accounts import User
from shop.db import make_engine  # noqa: E402
from shop.migrate import upgrade  # noqa: E402
from shop.policy import Category

N_PRODUCTS = 5000
N_PROVIDERS = 25

NOUNS = {
    Category.COMPUTE: ["云服务器 ECS", "GPU 云服务器", "弹性裸金属服务器", "轻量应用服务器", "批量计算服务"],
    Category.STORAGE: ["对象存储 OSS", "云硬盘 SSD", "文件存储 NAS", "归档存储", "数据备份与容灾"],
    Category.NETWORK: ["负载均衡 SLB", "弹性公网 IP", "企业专线", "CDN 加速", "VPN 网关"],
    Category.SECURITY: ["等保2.0 安全加固服务", "Web 应用防火墙", "主机安全防护", "DDoS 高防", "数据库审计"],
    Category.DATABASE: ["云数据库 MySQL", "云数据库 Redis", "云数据库 PostgreSQL", "时序数据库", "图数据库"],
    Category.BIG_DATA: ["大数据计算服务", "数据中台", "商业智能 BI", "实时数仓", "日志分析服务"],
    Category.IOT: ["工业物联网平台", "设备管理平台", "智慧农业监测套件", "边缘计算网关", "视频物联服务"],
    Category.DEVOPS: ["DevOps 平台", "容器服务 Kubernetes", "代码托管", "持续集成服务", "API 网关"],
    Category.PRODUCTION: ["MES 制造执行系统", "智能排产 APS", "质量追溯系统", "设备运维管理", "仓储管理 WMS"],
    Category.RND_DESIGN: ["云端 CAD 协同设计", "仿真计算 CAE", "PLM 产品生命周期管理", "渲染农场", "EDA 设计平台"],
    Category.OTHER_APPS: ["企业邮箱", "财务云", "云客服与呼叫中心", "协同办公 OA", "电子合同"],
}
SPECS = ["基础版", "标准版", "高级版", "企业版", "2核4G", "4核8G", "8核16G", "1TB", "10用户", "50用户", "按月", "按年"]
UNITS = ["月", "年", "套", "次", "用户·年", "台·月"]
SENTENCES = [
    "适合中小企业上云，开箱即用。",
    "提供 7×24 小时技术支持服务。",
    "数据存储于贵州本地数据中心。",
    "支持弹性扩容与按需计费。",
    "满足网络安全等级保护要求。",
    "含上门实施与培训服务。",
    "支持与现有 ERP、OA 系统集成。",
    "提供 99.95% 可用性承诺。",
    "多副本冗余存储，数据更安全。",
    "支持手机客户端随时查看。",
    "可按需开通备份与容灾能力。",
    "适合制造业数字化转型。",
    "Supports REST APIs and SDKs for Java, Python and Go.",
    "Includes monitoring, alerting and audit logs.",
]

QUERIES = [
    ("服务", "two CJK characters, very common"),
    ("存储", "two CJK characters"),
    ("云服务器", "four CJK characters (trigram index)"),
    ("mysql", "English word (trigram index)"),
    ("go", "two Latin characters"),
    ("MySQL 企业版", "two terms"),
    ("数据库审计 企业版", "two long terms"),
    ("不存在的产品", "no match"),
]
PAGES = [
    ("/products", "catalogue page 1 (24 cards, facets)"),
    ("/products?layer=platform&sort=price", "a layer, by price"),
    ("/products?category=storage&min_price=100&max_price=5000", "a category and a price range"),
    ("/products?q=服务", "search page, 2 characters"),
    ("/products?q=云服务器&sort=-price", "search page, 4 characters, by price"),
    ("/products?page=150", "deep page (150 of 209 at 5,000)"),
    ("/api/v1/products?q=存储&per_page=100", "API search, 100 items"),
    ("/", "home page (catalogue highlights)"),
]


def seed(app) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261124)
    sessions = app.extensions["shop.sessions"]
    with sessions() as s:
        user = User(email="bench-provider@example.com", password_hash="x", role="provider")
        s.add(user)
        orgs = []
        for i in range(N_PROVIDERS):
            org = Organisation(
                kind="provider",
                uscc=make_uscc(f"91520100BE{i:07d}"),
                name=f"贵州基准测试云服务商{i:02d}有限公司",
                region_code="520115",
                established_on=clock.today().replace(year=2015),
                legal_representative="张三",
                contact_name="李四",
                email=f"bench{i}@example.com",
                status="certified",
                certified_at=clock.now(),
            )
            orgs.append(org)
        s.add_all(orgs)
        s.flush()
        user.organisation_id = orgs[0].id
        s.flush()
        now = clock.now()
        products = [
            {
                "provider_id": orgs[i % N_PROVIDERS].id,
                "status": "published",
                "created_at": now,
                "updated_at": now,
                "listed_at": now,
            }
            for i in range(N_PRODUCTS)
        ]
        s.execute(insert(Product), products)
        ids = s.scalars(select(Product.id).order_by(Product.id)).all()
        categories = list(Category)
        versions = []
        for n, product_id in enumerate(ids):
            category = categories[n % len(categories)]
            market = rng.randrange(5_000, 10_000_000)
            price = market - rng.randrange(0, market // 5)
            versions.append(
                {
                    "product_id": product_id,
                    "number": 1,
                    "layer": policy.current().layer_of(category).value,
                    "category": category.value,
                    "name": f"{rng.choice(NOUNS[category])} {rng.choice(SPECS)} {n:04d}",
                    "description": "".join(rng.sample(SENTENCES, 4)),
                    "unit": rng.choice(UNITS),
                    "price_fen": price,
                    "market_price_fen": market,
                    "evidence_url": "https://www.aliyun.com/price/product",
                    "accepts_vouchers": rng.random() > 0.1,
                    "created_at": now,
                    "created_by_id": user.id,
                    "submitted_at": now,
                }
            )
        s.execute(insert(ProductVersion), versions)
        pairs = s.execute(select(ProductVersion.product_id, ProductVersion.id)).all()
        s.execute(update(Product), [{"id": p, "current_version_id": v, "published_version_id": v} for p, v in pairs])
        s.commit()
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE"))
            s.commit()


def timed(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def run(url: str, label: str, repeat: int) -> list[str]:
    upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
            "UPLOAD_DIR": tempfile.mkdtemp(),
        }
    )
    start = time.perf_counter()
    seed(app)
    seeded = time.perf_counter() - start
    lines = [
        f"### {label}",
        "",
        f"{N_PRODUCTS:,} published products from {N_PROVIDERS} providers, seeded in {seeded:.1f} s.",
        "",
        "| search (service call, first page of 20) | results | median ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    sessions = app.extensions["shop.sessions"]
    with sessions() as s:
        for q, what in QUERIES:
            query = search.CatalogueFilter.from_args({"q": q}, strict=True)
            total = search.search_catalogue(s, query, 1, 20).total
            median, p95 = timed(lambda query=query: search.search_catalogue(s, query, 1, 20), repeat)
            lines.append(f"| `{q}` — {what} | {total:,} | {median:.1f} | {p95:.1f} |")
    lines += ["", "| page (whole request through Flask) | status | median ms | p95 ms |", "|---|---:|---:|---:|"]
    client = app.test_client()
    for path, what in PAGES:
        status = client.get(path).status_code
        median, p95 = timed(lambda path=path: client.get(path), repeat)
        lines.append(f"| `{path}` — {what} | {status} | {median:.1f} | {p95:.1f} |")
    app.extensions["shop.engine"].dispose()
    return lines + [""]


def drop_pg_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def pg_database(base_url: str) -> str:
    from tests.databases import fresh_pg_database

    return fresh_pg_database(base_url, f"{make_url(base_url).database}_bench_catalog")


def main() -> None:
    global N_PRODUCTS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL URL whose server gets a *_bench_catalog database",
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for EXPLAIN afterwards")
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=None,
        metavar="COST",
        help="also run PostgreSQL with this random_page_cost (1.1 is the usual setting on SSD)",
    )
    args = parser.parse_args()
    N_PRODUCTS = args.products
    import sqlite3

    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out += run(f"sqlite:///{tmp}/bench.sqlite3", f"SQLite {sqlite3.sqlite_version} (FTS5 trigram)", args.repeat)
    if args.postgresql:
        url = pg_database(args.postgresql)
        engine = make_engine(url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        out += run(url, f"PostgreSQL {version} (pg_trgm GIN), default settings", args.repeat)
        if args.random_page_cost:
            url = pg_database(args.postgresql)
            admin = make_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                name = make_url(url).database
                connection.execute(
                    text(f'ALTER DATABASE "{name}" SET random_page_cost = {float(args.random_page_cost)}')
                )
            admin.dispose()
            out += run(
                url, f"PostgreSQL {version} (pg_trgm GIN), random_page_cost = {args.random_page_cost}", args.repeat
            )
        if not args.keep:
            drop_pg_database(url)
    print("\n".join(out))


if __name__ == "__main__":
    main()
