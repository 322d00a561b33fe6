"""Many enterprises apply for the year's quota at the same moment, against several gunicorn worker
processes: grants are first come first served and never above the budget (SQLite and PostgreSQL)."""

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
