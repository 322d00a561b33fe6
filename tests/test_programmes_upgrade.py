"""Data of the first round migrated by 0012 (programmes as policy), on SQLite and PostgreSQL: a year's
programme becomes Guizhou's province-wide programme of province 52 with version 1 of the policy it was
decided under, its ledger keeps its account codes (the year is its book), and the ledger still
verifies."""

import datetime as dt

import pytest
from sqlalchemy import text

from shop import create_app
from shop.db import make_engine
from shop.migrate import upgrade
from tests.conftest import PG_SKIP_REASON, PG_URL, _worker, pg_database_url
from wallet import ledger_check, versions
from wallet.models import LedgerAccount, Programme
from wallet.programmes import get_programme


def _database(kind, tmp_path):
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'round1.sqlite3'}"
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    return pg_database_url(f"_yq_round1_{_worker()}")


def _first_round_programme(url):
    """What the code before 0012 wrote for a 2026 programme of ¥1,000,000, cap ¥30,000, 30/50/70%."""
    engine = make_engine(url)
    at = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO programmes (id, year, budget_fen, enterprise_cap_fen, ratio_infrastructure, ratio_platform, "
                "ratio_application, applications_open_on, applications_close_on, created_at) VALUES "
                "(1, 2026, 100000000, 3000000, 30, 50, 70, :opens, :closes, :at)"
            ),
            {"opens": dt.date(2026, 1, 1), "closes": dt.date(2026, 12, 31), "at": at},
        )
        for account_id, code, kind, balance in (
            (1, "source:2026", "source", -100000000),
            (2, "budget:2026", "budget", 100000000),
        ):
            c.execute(
                text(
                    "INSERT INTO ledger_accounts (id, code, kind, year, balance_fen) VALUES (:id, :code, :kind, 2026, :b)"
                ),
                {"id": account_id, "code": code, "kind": kind, "b": balance},
            )
        c.execute(
            text(
                "INSERT INTO ledger_entries (id, at, kind, year, ref_type, ref_id) "
                "VALUES (1, :at, 'fund_programme', 2026, 'programme', 2026)"
            ),
            {"at": at},
        )
        c.execute(
            text(
                "INSERT INTO ledger_postings (id, entry_id, account_id, amount_fen) VALUES "
                "(1, 1, 1, -100000000), (2, 1, 2, 100000000)"
            )
        )
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_first_round_programme_becomes_guizhous_programme_of_its_year(kind, tmp_path):
    url = _database(kind, tmp_path)
    upgrade(url, "0011")
    _first_round_programme(url)
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    try:
        with app.extensions["shop.sessions"]() as session:
            programme = get_programme(session, 2026)
            assert (programme.code, programme.preset, programme.jurisdiction, programme.book) == (
                "guizhou-2026",
                "guizhou",
                "52",
                "2026",
            )
            assert (programme.starts_on, programme.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
            rules = versions.rules_of(session, programme)
            assert programme.policy_version == 1
            default = rules.scheme("default")
            assert (default.cap_fen, dict(default.ratios)) == (
                3_000_000,
                {"infrastructure": 30, "platform": 50, "application": 70},
            )
            assert {a.code: a.book for a in session.query(LedgerAccount)} == {
                "source:2026": "2026",
                "budget:2026": "2026",
            }
            assert ledger_check.verify(session).ok
            assert session.query(Programme).count() == 1
    finally:
        app.extensions["shop.engine"].dispose()
