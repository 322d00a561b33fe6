"""Checkout benchmark: the four-step checkout (reserve, prepare, authorise, finalise), timed with an
in-process payment gateway (our own cost) and with localstripe (what the mock adds), on SQLite and
PostgreSQL. The figures go into docs/benchmarks.md.

    .venv/bin/python bench/checkout_bench.py                      # SQLite only
    .venv/bin/python bench/checkout_bench.py --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test

Each checkout buys two products from two providers with vouchers (two orders, two card authorisations).
``--threads`` runs that many checkouts at once from different enterprises (one process: it shows lock
waits, not the multi-process web tier, which tests/test_concurrency_orders.py exercises).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("SHOP_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("SHOP_TODAY", "2026-03-02")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import shop.auth  # noqa: E402

shop.auth.HASH_METHOD = "pbkdf2:sha256:1000"

from sqlalchemy.engine import make_url  # noqa: E402

from orders.payments import InProcessGateway, StripeGateway  # noqa: E402
from shop.db import make_engine, make_session_factory  # noqa: E402
from shop.migrate import upgrade  # noqa: E402
from shop.model_registry import import_all_models  # noqa: E402
from tests.helpers import grant_wallet, make_org, make_product, make_programme, member  # noqa: E402


def _database(kind: str, pg_url: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    from tests.databases import fresh_pg_database

    return fresh_pg_database(pg_url, f"{make_url(pg_url).database}_bench_checkout")


def _localstripe() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("localstripe")), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def run(kind: str, pg_url: str | None, gateway_kind: str, checkouts: int, threads: int) -> dict[str, float]:
    url = _database(kind, pg_url)
    upgrade(url)
    import_all_models()
    engine = make_engine(url, pool_size=threads + 2) if kind == "postgresql" else make_engine(url)
    sessions = make_session_factory(engine)
    stripe = None
    if gateway_kind == "localstripe":
        stripe, base = _localstripe()
        gateway = StripeGateway("sk_test_bench", api_base=base)
    else:
        gateway = InProcessGateway()
    with sessions() as s:
        make_programme(s, budget_fen=checkouts * 50_000_00)
        p1, p2 = make_org(s, "provider"), make_org(s, "provider")
        a, b = make_product(s, p1, price_fen=3_600_00), make_product(s, p2, price_fen=2_800_00, layer="platform")
        buyers = []
        for _ in range(checkouts):
            org = make_org(s)
            grant_wallet(s, org)
            buyers.append(member(org).id)
        lines = [(a.id, 1), (b.id, 1)]

    def one(user_id: int) -> float:
        from shop.accounts import User

        with sessions() as s:
            user = s.get(User, user_id)
            pm = "pm_card_visa"
            started = time.perf_counter()
            checkouts.checkout(s, user, checkouts.CheckoutRequest(lines, True, True, pm), gateway=gateway)
            return (time.perf_counter() - started) * 1000

    one(buyers.pop())  # warm-up
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = list(pool.map(one, buyers))
    elapsed = time.perf_counter() - started
    engine.dispose()
    if stripe is not None:
        stripe.terminate()
    latencies.sort()
    return {
        "n": len(latencies),
        "median": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "per_second": len(latencies) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql", help="a PostgreSQL URL (a database named <it>_bench_checkout is created)")
    parser.add_argument("--checkouts", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    print("| database | gateway | threads | checkouts | median ms | p95 ms | checkouts/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for gateway_kind in ("in-process", "localstripe"):
            for threads in sorted({1, args.threads}):
                r = run(kind, args.postgresql, gateway_kind, args.checkouts, threads)
                print(
                    f"| {kind} | {gateway_kind} | {threads} | {r['n']} | {r['median']:.1f} | {r['p95']:.1f} | "
                    f"{r['per_second']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
