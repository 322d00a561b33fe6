"""Claims benchmark: a settlement date of a large province (--orders confirmed orders in --claims
claims from 100 providers, for 5,000 enterprises), then the export of that date (CSV streamed through
the API, XLSX written by openpyxl's write-only workbook), the staff's claims list and the settlement
summary. Times and the peak Python memory of the exports go into docs/benchmarks.md.

    .venv/bin/python bench/claims_bench.py                      # SQLite only
    .venv/bin/python bench/claims_bench.py --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test

The rows are written straight into the tables (no ledger movements: the export reads claims, items,
orders and organisations only), so that seeding 100,000 orders takes seconds, not an afternoon.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("SHOP_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("SHOP_TODAY", "2026-06-01")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from shop.db import make_engine, make_session_factory  # noqa: E402
from shop.migrate import upgrade  # noqa: E402

DAY = dt.date(2026, 6, 30)


def _database(kind: str, pg_url: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    from tests.databases import fresh_pg_database

    return fresh_pg_database(pg_url, f"{make_url(pg_url).database}_bench_claims")


def _seed(url: str, orders: int, claims: int) -> float:
    from claims.models import Claim, ClaimItem
    from orders.models import CheckoutAttempt, Order
    from orgs.demo import make_uscc
    from orgs.models import Organisation
    from orgs.states import OrgKind, OrgStatus
    from shop.accounts import User
    from shop.states import Role
    from wallet import versions
    from wallet.models import Programme, SettlementDate

    started = time.perf_counter()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    now = dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC)
    with sessions() as s:

        def orgs(kind: OrgKind, n: int, prefix: str) -> list[int]:
            rows = [
                {
                    "kind": kind,
                    "uscc": make_uscc(f"91520100{prefix}{i:07d}"),
                    "name": f"贵州测试{prefix}{i}有限公司",
                    "region_code": "520102",
                    "established_on": dt.date(2015, 1, 1),
                    "legal_representative": "张三",
                    "contact_name": "李四",
                    "email": f"{prefix.lower()}{i}@bench.example",
                    "status": OrgStatus.CERTIFIED,
                    "created_at": now,
                }
                for i in range(n)
            ]
            s.execute(insert(Organisation), rows)
            return list(s.scalars(select(Organisation.id).where(Organisation.kind == kind).order_by(Organisation.id)))

        providers = orgs(OrgKind.PROVIDER, 100, "PR")
        enterprises = orgs(OrgKind.ENTERPRISE, 5000, "EN")
        user = User(email="bench@bench.example", password_hash="x", role=Role.OPERATOR)
        s.add(user)
        programme = Programme(
            year=2026,
            budget_fen=10**12,
            enterprise_cap_fen=50_000_00,
            ratio_infrastructure=40,
            ratio_platform=60,
            ratio_application=60,
            applications_open_on=dt.date(2026, 1, 1),
            applications_close_on=dt.date(2026, 12, 31),
        )
        programme.settlement_dates = [SettlementDate(day=DAY), SettlementDate(day=dt.date(2026, 12, 20))]
        s.add(programme)
        s.flush()
        versions.add_guizhou_version(s, programme, user)
        attempt = CheckoutAttempt(
            key="bench",
            request_hash="0" * 64,
            enterprise_id=enterprises[0],
            user_id=user.id,
            status="completed",
            voucher_year=2026,
            voucher_fen=0,
            self_pay_fen=0,
            plan=[],
            intents={},
            agreement_version="2026-01",
            agreement_accepted_at=now,
        )
        s.add(attempt)
        s.flush()
        per_claim = orders // claims
        claim_rows = [
            {
                "provider_id": providers[c % len(providers)],
                "status": "submitted",
                "total_fen": 0,
                "settlement_date": DAY,
                "created_at": now,
                "created_by_id": user.id,
                "submitted_at": now,
            }
            for c in range(claims)
        ]
        s.execute(insert(Claim), claim_rows)
        claim_ids = list(s.scalars(select(Claim.id).order_by(Claim.id)))
        batch = 5000
        for start in range(0, orders, batch):
            rows = []
            for i in range(start, min(orders, start + batch)):
                claim_index = i // per_claim if i // per_claim < claims else claims - 1
                amount = 1_000_00 + (i % 97) * 100
                rows.append(
                    {
                        "attempt_id": attempt.id,
                        "enterprise_id": enterprises[i % len(enterprises)],
                        "provider_id": providers[claim_index % len(providers)],
                        "status": "confirmed",
                        "total_fen": amount,
                        "voucher_fen": amount * 40 // 100,
                        "self_pay_fen": amount - amount * 40 // 100,
                        "voucher_year": 2026,
                        "payment_status": "captured",
                        "agreement_version": "2026-01",
                        "agreement_accepted_at": now,
                        "placed_at": now,
                        "confirmed_at": now,
                    }
                )
            s.execute(insert(Order), rows)
        order_rows = s.execute(select(Order.id, Order.enterprise_id, Order.voucher_fen).order_by(Order.id)).all()
        for start in range(0, orders, batch):
            items = [
                {
                    "claim_id": claim_ids[min(i // per_claim, claims - 1)],
                    "order_id": oid,
                    "enterprise_id": eid,
                    "voucher_year": 2026,
                    "voucher_fen": fen,
                    "live": True,
                }
                for i, (oid, eid, fen) in enumerate(order_rows[start : start + batch], start)
            ]
            s.execute(insert(ClaimItem), items)
        s.execute(
            text(
                "UPDATE claims SET total_fen = (SELECT COALESCE(SUM(voucher_fen), 0) FROM claim_items "
                "WHERE claim_items.claim_id = claims.id)"
            )
        )
        s.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def _time(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    runs.sort()
    return statistics.median(runs), runs[min(len(runs) - 1, int(len(runs) * 0.95))]


def run(kind: str, url: str, orders: int, claims: int, repeat: int) -> None:
    from shop import create_app
    from shop.accounts import User
    from shop.states import Role

    upgrade(url)
    seeded = _seed(url, orders, claims)
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "EXPORT_DIR": tempfile.mkdtemp(),
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        sessions = app.extensions["shop.sessions"]
        with sessions() as s:
            operator = s.scalars(select(User).where(User.role == Role.OPERATOR)).first()
            from shop.auth import issue_token

            token, _ = issue_token(s, operator)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print(f"\n### {kind}: {orders:,} orders in {claims:,} claims of {DAY}, seeded in {seeded:.1f} s\n")
    print("| export (whole request) | rows | seconds | rows/s | peak Python memory |")
    print("|---|---:|---:|---:|---:|")
    for fmt in ("csv", "xlsx"):

        def fetch(fmt: str = fmt) -> int:
            response = client.get(f"/api/v1/settlement-dates/{DAY}/export?format={fmt}", headers=headers)
            assert response.status_code == 200, response.status_code
            size = sum(len(chunk) for chunk in response.response)
            response.close()
            return size

        t = time.perf_counter()
        size = fetch()
        elapsed = time.perf_counter() - t
        tracemalloc.start()  # a second run for the memory (tracemalloc slows it down)
        fetch()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows = orders + claims + 1
        print(
            f"| `{fmt}` ({size / 1e6:.1f} MB) | {rows:,} | {elapsed:.1f} | {rows / elapsed:,.0f} | {peak / 1e6:.1f} MB |"
        )
    print("\n| page or call | median ms | p95 ms |\n|---|---:|---:|")
    from tests.helpers import sign_in

    with app.app_context():
        with sessions() as s:
            operator = s.scalars(select(User).where(User.role == Role.OPERATOR)).first()
    sign_in(client, operator)
    for label, path in (
        ("`/staff/claims` — the operator's queue, grouped by date, first page of 50", "/staff/claims"),
        (
            f"`/staff/claims?settlement_date={DAY}` — one date, every status",
            f"/staff/claims?settlement_date={DAY}&status=",
        ),
        ("`GET /api/v1/settlement-dates` — claims and totals per date", "/api/v1/settlement-dates?year=2026"),
    ):
        hdrs = headers if path.startswith("/api") else {}
        median, p95 = _time(lambda p=path, h=hdrs: client.get(p, headers=h).status_code, repeat)
        print(f"| {label} | {median:.1f} | {p95:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql", help="a PostgreSQL URL to run the benchmark there too")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    run("SQLite", _database("sqlite", None), args.orders, args.claims, args.repeat)
    if args.postgresql:
        run("PostgreSQL", _database("postgresql", args.postgresql), args.orders, args.claims, args.repeat)


if __name__ == "__main__":
    main()
