"""Oversight benchmark: a province-sized year (20,000 enterprises, a million orders with their lines, claims
and complaints), then the programme report and the provider scorecards timed. The figures go into
docs/benchmarks.md.

    .venv/bin/python bench/oversight_bench.py --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/oversight_bench.py --orders 200000          # SQLite

The PostgreSQL run creates a database named after the given one with the suffix ``_bench_oversight``
(dropped at the end unless ``--keep``). Rows are written in bulk with plain INSERTs (no ledger postings:
the report reads the accounts' balances, which are filled directly). Timings are the median of
``--repeat`` runs after a warm-up, in-process (the service functions, no HTTP).
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from shop.db import make_engine  # noqa: E402
from shop.migrate import upgrade  # noqa: E402
from shop.model_registry import import_all_models  # noqa: E402

PREFECTURES = ["520102", "520302", "520201", "520402", "520502", "520602", "522301", "522601", "522701"]
CATEGORIES = [
    ("infrastructure", "compute"),
    ("infrastructure", "storage"),
    ("infrastructure", "network"),
    ("infrastructure", "security"),
    ("platform", "database"),
    ("platform", "big_data"),
    ("platform", "iot"),
    ("platform", "devops"),
    ("application", "production"),
    ("application", "rnd_design"),
    ("application", "other_apps"),
]
YEAR = 2026


def fill(url: str, n_orders: int, n_enterprises: int, n_providers: int) -> None:
    import_all_models()
    from catalog.models import Product, ProductVersion
    from claims.models import Claim, ClaimItem
    from orders.models import CheckoutAttempt, Order, OrderLine
    from orgs.models import Organisation
    from oversight.models import Complaint
    from shop.accounts import User
    from wallet.models import LedgerAccount

    rng = random.Random(7)
    engine = make_engine(url)
    start = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
    now = dt.datetime(YEAR, 12, 1, tzinfo=dt.UTC)
    with engine.begin() as c:

        def orgs(kind: str, n: int, offset: int) -> list[dict]:
            return [
                {
                    "id": offset + i,
                    "kind": kind,
                    "uscc": f"B{offset + i:017d}",
                    "name": f"{kind} {i}",
                    "region_code": PREFECTURES[i % 9],
                    "established_on": dt.date(2015, 1, 1),
                    "legal_representative": "张",
                    "contact_name": "李",
                    "email": f"{kind}{i}@bench.example",
                    "status": "certified",
                    "created_at": now,
                    "certified_at": now,
                }
                for i in range(1, n + 1)
            ]

        providers = orgs("provider", n_providers, 0)
        enterprises = orgs("enterprise", n_enterprises, 100_000)
        for chunk in range(0, len(enterprises), 5000):
            c.execute(insert(Organisation.__table__), enterprises[chunk : chunk + 5000])
        c.execute(insert(Organisation.__table__), providers)
        c.execute(
            insert(User.__table__),
            [
                {
                    "id": 1,
                    "email": "bench@bench.example",
                    "password_hash": "x",
                    "role": "enterprise",
                    "created_at": now,
                    "active": True,
                }
            ],
        )
        c.execute(
            insert(Product.__table__),
            [
                {
                    "id": i + 1,
                    "provider_id": 1 + i % n_providers,
                    "status": "published",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(len(CATEGORIES))
            ],
        )
        c.execute(
            insert(ProductVersion.__table__),
            [
                {
                    "id": i + 1,
                    "product_id": i + 1,
                    "number": 1,
                    "layer": layer,
                    "category": category,
                    "name": category,
                    "description": "",
                    "unit": "月",
                    "price_fen": 1000_00,
                    "market_price_fen": 1000_00,
                    "evidence_url": "x",
                    "accepts_vouchers": True,
                    "created_by_id": 1,
                    "created_at": now,
                }
                for i, (layer, category) in enumerate(CATEGORIES)
            ],
        )
        c.execute(
            insert(CheckoutAttempt.__table__),
            [
                {
                    "id": 1,
                    "key": "bench",
                    "request_hash": "0" * 64,
                    "enterprise_id": 100_001,
                    "user_id": 1,
                    "status": "completed",
                    "voucher_year": YEAR,
                    "voucher_fen": 0,
                    "self_pay_fen": 0,
                    "plan": [],
                    "intents": {},
                    "agreement_version": "2026-01",
                    "agreement_accepted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        statuses = ["confirmed"] * 80 + ["placed"] * 6 + ["cancelled"] * 7 + ["refunded"] * 5 + ["refund_requested"] * 2
        batch_o, batch_l = [], []
        for i in range(1, n_orders + 1):
            placed = start + dt.timedelta(seconds=rng.randint(0, 330 * 86400))
            status = rng.choice(statuses)
            amount = rng.randint(1, 50) * 100_00
            voucher = amount * 40 // 100
            k = i % len(CATEGORIES)
            batch_o.append(
                {
                    "id": i,
                    "attempt_id": 1,
                    "enterprise_id": 100_001 + i % n_enterprises,
                    "provider_id": 1 + k % n_providers,
                    "status": status,
                    "total_fen": amount,
                    "voucher_fen": voucher,
                    "self_pay_fen": amount - voucher,
                    "voucher_year": YEAR,
                    "payment_status": "captured",
                    "agreement_version": "2026-01",
                    "agreement_accepted_at": placed,
                    "placed_at": placed,
                    "confirmed_at": None
                    if status in ("placed", "cancelled")
                    else placed + dt.timedelta(minutes=rng.randint(5, 4000)),
                }
            )
            batch_l.append(
                {
                    "id": i,
                    "order_id": i,
                    "product_id": k + 1,
                    "version_id": k + 1,
                    "layer": CATEGORIES[k][0],
                    "category": CATEGORIES[k][1],
                    "unit_price_fen": amount,
                    "quantity": 1,
                    "amount_fen": amount,
                    "voucher_fen": voucher,
                }
            )
            if len(batch_o) == 20_000:
                c.execute(insert(Order.__table__), batch_o)
                c.execute(insert(OrderLine.__table__), batch_l)
                batch_o, batch_l = [], []
        if batch_o:
            c.execute(insert(Order.__table__), batch_o)
            c.execute(insert(OrderLine.__table__), batch_l)
        claims, items = [], []
        per_claim = 100
        for j in range(1, n_orders // (3 * per_claim) + 1):
            status = rng.choice(["disbursed"] * 6 + ["submitted", "approved", "rejected", "draft"])
            claims.append(
                {
                    "id": j,
                    "provider_id": 1 + j % n_providers,
                    "status": status,
                    "total_fen": 0,
                    "settlement_date": dt.date(YEAR, 3 * (1 + j % 4), 28),
                    "created_at": now,
                    "created_by_id": 1,
                    "submitted_at": now if status != "draft" else None,
                }
            )
            for m in range(per_claim):
                order_id = (j - 1) * per_claim + m + 1
                items.append(
                    {
                        "id": order_id,
                        "claim_id": j,
                        "order_id": order_id,
                        "enterprise_id": 100_001,
                        "voucher_year": YEAR,
                        "voucher_fen": 400_00,
                        "live": status != "rejected",
                    }
                )
        c.execute(insert(Claim.__table__), claims)
        for chunk in range(0, len(items), 20_000):
            c.execute(insert(ClaimItem.__table__), items[chunk : chunk + 20_000])
        c.execute(
            insert(Complaint.__table__),
            [
                {
                    "id": i,
                    "order_id": i * 37,
                    "enterprise_id": 100_001,
                    "provider_id": 1 + i % n_providers,
                    "kind": "other",
                    "subject": "s",
                    "description": "d",
                    "status": rng.choice(["open", "in_progress", "resolved"]),
                    "filed_by_id": 1,
                    "filed_at": start + dt.timedelta(days=i % 300),
                    "first_response_at": start + dt.timedelta(days=i % 300, hours=1 + i % 30),
                    "resolved_at": start + dt.timedelta(days=i % 300 + 1 + i % 9),
                }
                for i in range(1, n_orders // 200 + 1)
            ],
        )
        accounts = [
            {"code": f"source:{YEAR}", "kind": "source", "year": YEAR, "balance_fen": -500_000_000_00},
            {"code": f"budget:{YEAR}", "kind": "budget", "year": YEAR, "balance_fen": 0},
        ]
        for e in enterprises:
            for kind in ("available", "in_orders", "claimed", "disbursed"):
                accounts.append(
                    {
                        "code": f"{kind}:{YEAR}:{e['id']}",
                        "kind": kind,
                        "year": YEAR,
                        "organisation_id": e["id"],
                        "balance_fen": 6_250_00,
                    }
                )
        for chunk in range(0, len(accounts), 20_000):
            c.execute(insert(LedgerAccount.__table__), accounts[chunk : chunk + 20_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))
    engine.dispose()


def time_it(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), max(runs)


def run(url: str, repeat: int) -> None:
    from oversight import exports, reports, scorecards
    from shop import create_app
    from wallet import ledger_check

    os.environ["SHOP_TODAY"] = "2026-12-01"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    session = app.extensions["shop.sessions"]()
    with app.test_request_context("/api/v1/reports/programmes/2026"):
        cases = {
            "budget figures (ledger balances)": lambda: reports.budget_figures(session, YEAR),
            "vouchers by category (layers summed from them)": lambda: reports.vouchers_by_category(session, YEAR),
            "by city": lambda: reports.by_city(session, YEAR),
            "orders per week": lambda: reports.orders_per_week(session, YEAR),
            "claims by status and date": lambda: reports.claims_by_status_and_date(session, YEAR),
            "leading providers": lambda: reports.leading_providers(session, YEAR),
            "whole report (dashboard, API)": lambda: reports.programme_report(session, YEAR),
            "report as XLSX": lambda: exports.report_xlsx(reports.programme_report(session, YEAR)),
            "provider scorecards": lambda: scorecards.scorecards(session, YEAR),
            # the bench writes no postings: the timing is the reconciliation's GROUP BYs over orders and claims
            "ledger-verify (reconciled with orders and claims)": lambda: ledger_check.verify(session),
        }
        print("| figure | median ms | slowest ms |\n|---|---:|---:|")
        for name, fn in cases.items():
            median, slowest = time_it(fn, repeat)
            print(f"| {name} | {median:.0f} | {slowest:.0f} |")
            session.rollback()
    session.close()
    app.extensions["shop.engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgresql")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--providers", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.postgresql:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        base = make_url(args.postgresql)
        name = f"{base.database}_bench_oversight"
        admin = make_engine(
            base.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    upgrade(url)
    t0 = time.perf_counter()
    fill(url, args.orders, args.enterprises, args.providers)
    print(
        f"{args.orders:,} orders, {args.enterprises:,} enterprises, {args.providers} providers written in "
        f"{time.perf_counter() - t0:.0f} s ({make_url(url).get_backend_name()})\n"
    )
    run(url, args.repeat)
    if args.postgresql and not args.keep:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
