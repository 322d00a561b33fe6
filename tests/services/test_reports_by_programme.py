"""The report per programme, scheme and budget block (切块): every figure re-derived from the ledger's
postings of its book, beside the Guizhou programme of the same year (both databases)."""

from collections import defaultdict

import pytest
from sqlalchemy import select

from oversight import reports
from shop.states import Role
from tests.helpers import grant_wallet, make_org, make_programme, make_staff, member
from wallet import grants, policies
from wallet.commands import GrantRequest, ProgrammeSpec
from wallet.models import LedgerAccount, LedgerPosting

WAN = 1_000_000  # fen in ¥10,000


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def postings_by_book(session):
    sums = defaultdict(int)
    for book, kind, amount in session.execute(
        select(LedgerAccount.book, LedgerAccount.kind, LedgerPosting.amount_fen).join(
            LedgerPosting, LedgerPosting.account_id == LedgerAccount.id
        )
    ):
        sums[(book, getattr(kind, "value", kind))] += amount
    return sums


def test_a_city_programme_with_a_district_block_reports_each_part(session):
    make_programme(session, budget_fen=100 * WAN)  # Guizhou 2026, ¥1,000,000
    grant_wallet(session, make_org(session, region_code="520102"))  # ¥50,000 granted there
    authority = make_staff(session, Role.AUTHORITY)
    authority.jurisdiction = "4401"
    session.commit()
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": "gz-2026",
            "title": "广州市服务券",
            "jurisdiction": "4401",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 1_000 * WAN,  # ¥10,000,000
            "allocations": [{"jurisdiction": "440111", "budget_fen": 200 * WAN}],  # ¥2,000,000 for Baiyun
        }
    )
    policies.create_from_preset(session, authority, spec)
    for region in ("440111", "440106"):  # Baiyun draws on its block, Tianhe on the city's budget
        org = make_org(session, region_code=region)
        request = GrantRequest.from_input(
            {"programme": "gz-2026", "scheme": "public_cloud", "facts": {"last_year_tax_fen": 0}}
        )
        grants.apply(session, member(org), request.programme, request.scheme, request.facts)  # ¥100,000 each

    rows = {(r.programme, r.scheme, r.block): r for r in reports.by_programme(session, 2026)}
    # the city's budget: ¥10,000,000 − ¥2,000,000 for the block − ¥100,000 for Tianhe = ¥7,900,000
    assert rows[("gz-2026", None, None)].budget_fen == 790 * WAN
    # the block: ¥2,000,000 − ¥100,000 for the Baiyun enterprise = ¥1,900,000
    assert rows[("gz-2026", None, "440111")].budget_fen == 190 * WAN
    assert rows[("gz-2026", None, "440111")].jurisdiction == "440111"
    assert rows[("gz-2026", "public_cloud", None)].reserved_fen == 20 * WAN
    # Guizhou's side: ¥950,000 left, ¥50,000 granted to the enterprise's default wallet
    assert rows[("guizhou-2026", None, None)].budget_fen == 95 * WAN
    assert rows[("guizhou-2026", "default", None)].granted_fen == 5 * WAN

    postings = postings_by_book(session)
    assert postings[("gz-2026", "budget")] == 790 * WAN
    assert postings[("gz-2026@440111", "budget")] == 190 * WAN
    assert postings[("gz-2026/public_cloud", "reserved")] == 20 * WAN
    assert postings[("2026", "budget")] == 95 * WAN
    # and the year's totals are the sum of the parts
    report = reports.programme_report(session, 2026)
    assert report.budget.remaining_fen == sum(r.budget_fen for r in rows.values()) == (790 + 190 + 95) * WAN
    assert report.budget.budget_fen == 1_100 * WAN
    assert {r["programme"] for r in report.as_json()["by_programme"]} == {"gz-2026", "guizhou-2026"}
