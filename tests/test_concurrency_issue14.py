"""The money flows of issue 14 under concurrent requests, against several gunicorn worker processes
(SQLite and PostgreSQL): contract vouchers issued at once take distinct numbers and are issued once; the
budget of a first-come programme or of a ranked round closed twice at once is never overspent; one
payment request is transferred (or returned) once; two authorities send one settlement date once; the
repayments and set-offs of a recovery never settle more than is owed. The ledger is verified after
each test (conftest)."""

import datetime as dt

import pytest
from sqlalchemy import select

from claims import recoveries, reviews
from claims.commands import DisbursementInput, RecoveryInput
from claims.models import Claim
from claims.recovery_models import Recovery
from claims.states import ClaimStatus, RecoveryStatus
from orders.states import VoucherStatus
from orders.voucher_models import ContractVoucher
from shop.inputs import Decision
from shop.states import Role
from tests.concurrency import all_at_once, gunicorn, request
from tests.helpers import (
    fresh,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_programme,
    make_staff,
    member,
    token_for,
)
from tests.services.test_contract_vouchers import (
    CHENGZHONG,
    LANSHAN,
    LINYI,
    LIUZHOU,
    WAN,
    apply,
    approve,
    budget,
    programme,
)
from wallet import ledger
from wallet.states import AccountKind

pytestmark = pytest.mark.concurrency


def _server(database_url, day):
    return gunicorn(database_url, workers=4, env={"SHOP_TODAY": day})


def _statuses(answers):
    return [(a.status, a.body if a.status >= 400 else None) for a in answers]


# -- contract vouchers ---------------------------------------------------------------------------------


def test_vouchers_approved_at_once_are_issued_once_each_with_distinct_numbers(database_url, session, today):
    """Linyi (first come, one county stage, no notice): eight applications approved at the same moment,
    each twice, by two county reviewers: every voucher is issued once, the numbers are 000001–000008."""
    today("2026-03-02")
    prog, _authority = programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)
    provider = make_org(session, "provider")
    vouchers = []
    for _ in range(8):
        org = make_org(session, region_code=LANSHAN)
        vouchers.append(apply(session, org, make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0)))
    reviewers = [token_for(session, make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN)) for _ in range(2)]
    with _server(database_url, "2026-03-02") as base:
        answers = all_at_once(
            [
                lambda v=v, h=h: request(
                    base,
                    "POST",
                    f"/api/v1/contract-vouchers/{v.id}/review",
                    json_body={"decision": "approve"},
                    headers=h,
                )
                for v in vouchers
                for h in reviewers
            ]
        )
    won = [a for a in answers if a.status == 200]
    assert len(won) == 8, _statuses(answers)
    assert all(a.status == 409 and a.body["code"] == "invalid_state" for a in answers if a.status != 200)
    assert sorted(a.body["number"] for a in won) == [f"linyi-2026-2026-{n:06d}" for n in range(1, 9)]
    s = fresh(session)
    rows = s.scalars(select(ContractVoucher).order_by(ContractVoucher.id)).all()
    assert [r.status for r in rows] == [VoucherStatus.ISSUED] * 8
    assert len({r.number for r in rows}) == 8
    assert budget(s, prog) == 100 * WAN - 8 * 3 * WAN  # reserved once each, issued once each


def test_first_come_applications_at_once_never_reserve_more_than_the_budget(database_url, session, today):
    """Linyi with ¥100,000: ten enterprises apply at once for ¥30,000 each; three are reserved (¥90,000),
    the others are told the budget is used up."""
    today("2026-03-02")
    prog, _authority = programme(session, "linyi", LINYI, "linyi-2026", 2026, 10 * WAN)
    provider = make_org(session, "provider")
    calls = []
    orgs = [make_org(session, region_code=LANSHAN) for _ in range(10)]
    orders = [make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0) for org in orgs]
    tokens = [token_for(session, member(org)) for org in orgs]
    with _server(database_url, "2026-03-02") as base:
        calls = [
            lambda o=o, h=h: request(
                base, "POST", f"/api/v1/orders/{o.id}/voucher-application", json_body={}, headers=h
            )
            for o, h in zip(orders, tokens, strict=True)
        ]
        answers = all_at_once(calls)
    accepted = [a for a in answers if a.status == 201]
    assert len(accepted) == 3, _statuses(answers)
    assert all(a.status == 409 and a.body["code"] == "budget_exhausted" for a in answers if a.status != 201)
    assert budget(fresh(session), prog) == 1 * WAN


def test_a_ranked_round_closed_at_once_by_two_authorities_grants_each_voucher_once(database_url, session, today):
    """Liuzhou with ¥120,000 and no notice (issued when granted): five reviewed applications of ¥50,000;
    two authorities close the round four times at the same moment: two vouchers are issued once each
    (numbers 1 and 2), the other three refused once, the budget holds ¥20,000."""
    today("2021-03-01")
    prog, authority = programme(
        session, "liuzhou", LIUZHOU, "liuzhou-2021", 2021, 12 * WAN, {"notice_before_grant_working_days": 0}
    )
    county = make_staff(session, Role.OPERATOR, jurisdiction=CHENGZHONG)
    city = make_staff(session, Role.OPERATOR, jurisdiction=LIUZHOU)
    provider = make_org(session, "provider")
    for score in (60, 95, 80, 70, 50):
        org = make_org(session, region_code=CHENGZHONG)
        voucher = apply(session, org, make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021))
        approve(session, county, voucher)
        approve(session, city, voucher, score)
    authorities = [
        token_for(session, authority),
        token_for(session, make_staff(session, Role.AUTHORITY, jurisdiction=LIUZHOU)),
    ]
    with _server(database_url, "2021-03-01") as base:
        answers = all_at_once(
            [
                lambda h=h: request(base, "POST", f"/api/v1/programmes/{prog.id}/rounds/close", headers=h)
                for h in authorities * 2
            ]
        )
    assert all(a.status in (200, 409) for a in answers), _statuses(answers)
    granted = [v for a in answers if a.status == 200 for v in a.body["granted"]]
    refused = [v for a in answers if a.status == 200 for v in a.body["refused"]]
    assert len(granted) == 2 and len(refused) == 3, _statuses(answers)
    assert sorted(v["number"] for v in granted) == ["liuzhou-2021-2021-000001", "liuzhou-2021-2021-000002"]
    s = fresh(session)
    statuses = sorted(r.status.value for r in s.scalars(select(ContractVoucher)))
    assert statuses == ["issued"] * 2 + ["refused"] * 3
    assert budget(s, prog) == 2 * WAN


# -- payment requests ------------------------------------------------------------------------------------

DAY = "2026-06-30"


@pytest.fixture
def approved(session, today, tmp_path):
    """Two approved claims of 2026-06-30 (¥4,000 and ¥2,000 of vouchers) of one provider, and a claim of
    the same provider paid before (¥4,000), against which ¥3,000 is under recovery."""
    today("2026-03-02")
    prog = make_programme(session, budget_fen=1_000_000_00)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    finance = make_staff(session, Role.FINANCE, jurisdiction="52")
    paid = make_claim(session, provider, [make_order(session, enterprise, provider, amount_fen=10_000_00)], tmp_path)
    claims = [
        make_claim(session, provider, [make_order(session, enterprise, provider, amount_fen=amount)], tmp_path)
        for amount in (10_000_00, 5_000_00)
    ]
    for claim in (paid, *claims):
        reviews.review_claim(session, operator, claim.id, Decision(True))
        reviews.review_claim(session, authority, claim.id, Decision(True))
    reviews.disburse_claim(session, finance, paid.id, DisbursementInput.from_input({"reference": "GZ-0"}))
    recovery = recoveries.open_recovery(
        session, authority, paid.id, RecoveryInput.from_input({"amount_fen": 3_000_00, "reason": "伪造交付记录"})
    )
    return {
        "programme": prog,
        "enterprise": enterprise,
        "authority": authority,
        "operator": operator,
        "finance": finance,
        "claims": claims,
        "recovery": recovery,
    }


def _send(session, world):
    from claims import payment_requests
    from claims.commands import PaymentRequestInput

    return payment_requests.create_payment_request(
        session, world["authority"], PaymentRequestInput(world["programme"].id, dt.date(2026, 6, 30))
    )


def test_two_authorities_sending_one_settlement_date_at_once_send_it_once(approved, session, database_url):
    tokens = [
        token_for(session, approved["authority"]),
        token_for(session, make_staff(session, Role.AUTHORITY)),
    ]
    body = {"programme_id": approved["programme"].id, "settlement_date": DAY}
    with _server(database_url, "2026-03-02") as base:
        answers = all_at_once(
            [
                lambda h=h: request(base, "POST", "/api/v1/payment-requests", json_body=body, headers=h)
                for h in tokens * 3
            ]
        )
    sent = [a for a in answers if a.status == 201]
    assert len(sent) == 1, _statuses(answers)
    assert all(a.status == 409 and a.body["code"] == "invalid_state" for a in answers if a.status != 201)
    s = fresh(session)
    ids = {
        c.payment_request_id for c in s.scalars(select(Claim).where(Claim.id.in_([c.id for c in approved["claims"]])))
    }
    assert ids == {sent[0].body["id"]}


def test_finance_users_transferring_and_returning_one_request_at_once_do_it_once(approved, session, database_url):
    """Four transfers and two returns of the same request at the same moment: exactly one wins; a
    transfer pays each claim once (¥6,000, ¥3,000 of it set off against the recovery)."""
    request_id = _send(session, approved).id
    tokens = [
        token_for(session, approved["finance"]),
        token_for(session, make_staff(session, Role.FINANCE, jurisdiction="52")),
    ]
    with _server(database_url, "2026-03-02") as base:
        calls = [
            lambda h=h: request(
                base,
                "POST",
                f"/api/v1/payment-requests/{request_id}/transfer",
                json_body={"reference": "黔财拨-1"},
                headers=h,
            )
            for h in tokens * 2
        ] + [
            lambda h=h: request(
                base,
                "POST",
                f"/api/v1/payment-requests/{request_id}/return",
                json_body={"reason": "材料不全"},
                headers=h,
            )
            for h in tokens
        ]
        answers = all_at_once(calls)
    won = [a for a in answers if a.status == 200]
    assert len(won) == 1, _statuses(answers)
    assert all(a.status == 409 and a.body["code"] == "invalid_state" for a in answers if a.status != 200)
    s = fresh(session)
    enterprise = approved["enterprise"]
    claims = s.scalars(select(Claim).where(Claim.id.in_([c.id for c in approved["claims"]]))).all()
    recovery = s.get(Recovery, approved["recovery"].id)
    if won[0].body["status"] == "paid":
        assert [c.status for c in claims] == [ClaimStatus.DISBURSED] * 2
        assert sum(c.set_off_fen or 0 for c in claims) == 3_000_00 == recovery.set_off_fen
        assert recovery.status == RecoveryStatus.SETTLED
        assert ledger.balance(s, AccountKind.DISBURSED, 2026, enterprise.id) == 1_000_00 + 6_000_00
    else:
        assert [(c.status, c.payment_request_id) for c in claims] == [(ClaimStatus.APPROVED, None)] * 2
        assert recovery.owed_fen == 3_000_00
    assert ledger.balance(s, AccountKind.RECOVERING, 2026, enterprise.id) == recovery.owed_fen


def test_repayments_at_once_beyond_what_is_owed_settle_only_what_is_owed(approved, session, database_url):
    """¥3,000 owed; six repayments of ¥1,000 recorded at the same moment: three are recorded, the
    others refused; the recovery is settled and the budget got ¥3,000 back once."""
    recovery = approved["recovery"]
    before = ledger.balance(session, AccountKind.BUDGET, 2026)
    tokens = [token_for(session, approved["finance"]), token_for(session, approved["operator"])]
    body = {"amount_fen": 1_000_00, "reference": "退款", "paid_on": "2026-03-02"}
    with _server(database_url, "2026-03-02") as base:
        answers = all_at_once(
            [
                lambda h=h: request(
                    base, "POST", f"/api/v1/recoveries/{recovery.id}/repayments", json_body=body, headers=h
                )
                for h in tokens * 3
            ]
        )
    recorded = [a for a in answers if a.status == 201]
    assert len(recorded) == 3, _statuses(answers)
    assert all(a.status in (409, 422) for a in answers if a.status != 201), _statuses(answers)
    s = fresh(session)
    row = s.get(Recovery, recovery.id)
    assert (row.repaid_fen, row.owed_fen, row.status) == (3_000_00, 0, RecoveryStatus.SETTLED)
    assert ledger.balance(s, AccountKind.BUDGET, 2026) == before + 3_000_00
    assert ledger.balance(s, AccountKind.RECOVERING, 2026, approved["enterprise"].id) == 0


def test_a_set_off_racing_a_repayment_never_settles_more_than_is_owed(approved, session, database_url):
    """The transfer of the provider's next claims (which sets off what it owes) and a repayment of the
    whole ¥3,000 at the same moment: whichever comes first, the recovery is settled once, never beyond
    its amount, and the budget gets ¥3,000 back once."""
    request_id = _send(session, approved).id
    recovery = approved["recovery"]
    before = ledger.balance(session, AccountKind.BUDGET, 2026)
    finance = token_for(session, approved["finance"])
    repay = {"amount_fen": 3_000_00, "reference": "退款", "paid_on": "2026-03-02"}
    with _server(database_url, "2026-03-02") as base:
        answers = all_at_once(
            [
                lambda: request(
                    base,
                    "POST",
                    f"/api/v1/payment-requests/{request_id}/transfer",
                    json_body={"reference": "黔财拨-2"},
                    headers=finance,
                ),
                lambda: request(
                    base, "POST", f"/api/v1/recoveries/{recovery.id}/repayments", json_body=repay, headers=finance
                ),
            ]
        )
    transfer, repayment = answers
    assert transfer.status == 200, _statuses(answers)
    assert repayment.status in (201, 409, 422), _statuses(answers)
    s = fresh(session)
    row = s.get(Recovery, recovery.id)
    assert row.status == RecoveryStatus.SETTLED and row.owed_fen == 0
    assert row.repaid_fen + row.set_off_fen == 3_000_00
    assert (row.repaid_fen == 3_000_00) == (repayment.status == 201)
    claims = s.scalars(select(Claim).where(Claim.id.in_([c.id for c in approved["claims"]]))).all()
    assert sum(c.set_off_fen or 0 for c in claims) == row.set_off_fen
    # the budget: the ¥3,000 once (repaid or set off)
    assert ledger.balance(s, AccountKind.BUDGET, 2026) == before + 3_000_00
