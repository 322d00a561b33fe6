"""Many enterprises apply for the year's quota at the same moment, against several gunicorn worker
processes: grants are first come first served and never above the budget (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.concurrency import all_at_once, gunicorn, request
from tests.helpers import fresh, make_org, make_programme, member, token_for
from wallet import ledger
from wallet.models import QuotaApplication
from wallet.states import AccountKind

pytestmark = pytest.mark.concurrency
CAP = 50_000_00


def test_parallel_applications_never_reserve_more_than_the_budget(database_url, session, today):
    today("2026-03-02")
    budget = 5 * CAP + 7_777  # five full quotas and one partial
    make_programme(session, budget_fen=budget)
    headers = [token_for(session, member(make_org(session))) for _ in range(12)]
    with gunicorn(database_url, workers=4, env={"SHOP_TODAY": "2026-03-02"}) as base:
        answers = all_at_once(
            [
                lambda h=h: request(base, "POST", "/api/v1/quota-applications", json_body={"year": 2026}, headers=h)
                for h in headers
            ]
        )
    accepted = [a for a in answers if a.status == 201]
    refused = [a for a in answers if a.status != 201]
    assert len(accepted) == 6, [a.body for a in answers]
    assert all(a.status == 409 and a.body["code"] == "budget_exhausted" for a in refused)
    assert sum(a.body["reserved_fen"] for a in accepted) == budget
    fresh(session)
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 0
    # first come, first served: in order of arrival, every application but the last got the full cap
    reserved = [r for (r,) in session.execute(select(QuotaApplication.reserved_fen).order_by(QuotaApplication.id))]
    assert reserved == [CAP] * 5 + [7_777]


def test_parallel_applications_to_a_budget_block_and_a_yearly_total_never_overspend(database_url, session, today):
    """A city programme of the Baiyun preset with a block for the Baiyun district: Baiyun's
    enterprises are served first come first served within the block, and one enterprise applying for
    three schemes at once never passes its yearly total."""
    from shop.states import Role
    from tests.helpers import make_staff
    from wallet import policies
    from wallet.commands import ProgrammeSpec

    today("2026-03-02")
    wan = 1_000_000  # fen
    authority = make_staff(session, Role.AUTHORITY, jurisdiction="4401")
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": "gz-2026",
            "jurisdiction": "4401",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 1_000 * wan,
            # Baiyun's block: three public-cloud caps of ¥100,000 and a part
            "allocations": [{"jurisdiction": "440111", "budget_fen": 35 * wan}],
            "overrides": {"yearly_total_fen": 25 * wan},  # ¥250,000 a year per enterprise
        }
    )
    policies.create_from_preset(session, authority, spec)
    public = {"programme": "gz-2026", "scheme": "public_cloud", "facts": {"last_year_tax_fen": 0}}
    baiyun = [token_for(session, member(make_org(session, region_code="440111"))) for _ in range(6)]
    busy = token_for(session, member(make_org(session, region_code="440106")))  # Tianhe: the city's budget
    three = [  # ¥200,000 (software park) + ¥100,000 (public cloud) + ¥200,000 (diagnosis): over ¥250,000
        {"programme": "gz-2026", "scheme": "software_park"},
        public,
        {"programme": "gz-2026", "scheme": "smart_manufacturing", "facts": {"project": "diagnosis"}},
    ]
    with gunicorn(database_url, workers=4, env={"SHOP_TODAY": "2026-03-02"}) as base:
        calls = [
            lambda h=h: request(base, "POST", "/api/v1/quota-applications", json_body=public, headers=h) for h in baiyun
        ] + [lambda b=b: request(base, "POST", "/api/v1/quota-applications", json_body=b, headers=busy) for b in three]
        answers = all_at_once(calls)
    from_block = [a for a in answers[:6] if a.status == 201]
    assert sum(a.body["reserved_fen"] for a in from_block) == 35 * wan, [a.body for a in answers[:6]]
    assert len(from_block) == 4  # three full caps and the ¥50,000 left
    assert all(a.body["code"] == "budget_exhausted" for a in answers[:6] if a.status != 201)
    busy_total = sum(a.body["reserved_fen"] for a in answers[6:] if a.status == 201)
    assert busy_total == 25 * wan, [a.body for a in answers[6:]]  # exactly its yearly total, never more
    fresh(session)
    block = ledger.Book("gz-2026@440111", "gz-2026@440111", 2026, dt.date(2026, 12, 31))
    assert ledger.balance(session, AccountKind.BUDGET, block) == 0
