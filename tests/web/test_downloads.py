"""Downloads (CSV and XLSX) as an attacker and the next user meet them (issue 11, H3 and M2): a
streamed download leaves no transaction open behind it, and no cell a user typed becomes a formula."""
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shop.db import write_transactions
from tests.helpers import grant_wallet, make_org, make_programme, member, sign_in
from wallet import ledger


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def assert_no_transaction_left_open(database_url):
    """What another worker meets right after the download: on SQLite the write lock is free at once
    (no waiting: a timeout of 0); on PostgreSQL no connection sits idle in a transaction."""
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(make_url(database_url).database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as connection:
        idle = connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"))
    engine.dispose()
    assert idle == 0


def download(client, url):
    """The body of a download, read as a server's worker sends it. (The ``session`` fixture makes
    this test's own reads deferred; a worker starts from the default, a transaction that may write.)"""
    with write_transactions():
        response = client.get(url)
        body = response.get_data(as_text=True)
        response.close()
    assert response.status_code == 200
    return body


def test_after_a_wallet_csv_download_other_users_can_write_at_once(client, session, database_url):
    make_programme(session)
    org, other = make_org(session), make_org(session)
    grant_wallet(session, org)
    ledger.hold_vouchers(session, 2026, org.id, 12_345, ref=("order", 9), actor_id=None)
    session.commit()
    sign_in(client, member(org))
    rows = download(client, "/wallet/ledger.csv?year=2026").lstrip("\ufeff").strip().splitlines()
    assert rows[1].endswith(",-123.45,49876.55") and rows[2].endswith(",50000.00,50000.00")
    assert_no_transaction_left_open(database_url)
    # and a write through the app by someone else goes through
    sign_in(client, member(other))
    assert client.post("/wallet/apply", data={"year": "2026"}).status_code == 302
