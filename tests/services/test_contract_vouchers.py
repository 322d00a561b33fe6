"""Contract vouchers (issue 14): the Linyi and Liuzhou presets replayed against their notices, with the
figures worked out by hand in the comments (``../shared/seeds/000_…`` Linyi, ``001_…`` Liuzhou).

Amounts: ¥1 = 100 fen; 万 = ¥10,000 = 1,000,000 fen. The ledger is verified after every test (the
fixture), so each test also shows that the movements balance and match the vouchers.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from claims import services as claims
from claims.commands import ClaimInput
from orders import contract_vouchers, services, voucher_issue, voucher_reviews
from orders.models import Order
from orders.payments import InProcessGateway
from orders.rules import RoundEntry, contract_voucher_amount, rank_round
from orders.states import PaymentStatus, VoucherStatus
from orders.voucher_commands import VoucherReview
from orgs import affiliations
from orgs.commands import AffiliationInput
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import fresh, make_order, make_org, make_staff, member
from wallet import ledger, policies
from wallet.commands import ProgrammeSpec
from wallet.ledger_check import verify
from wallet.states import AccountKind

WAN = 1_000_000  # fen in ¥10,000
LINYI, LANSHAN = "3713", "371302"  # 临沂市, 兰山区
LIUZHOU, CHENGZHONG = "4502", "450202"  # 柳州市, 城中区


def programme(session, preset, jurisdiction, code, year, budget_fen, overrides=None):
    authority = make_staff(session, Role.AUTHORITY, jurisdiction=jurisdiction)
    spec = ProgrammeSpec.from_input(
        {
            "preset": preset,
            "code": code,
            "jurisdiction": jurisdiction,
            "starts_on": f"{year}-01-01",
            "ends_on": f"{year}-12-31",
            "budget_fen": budget_fen,
            "settlement_dates": [f"{year}-06-30", f"{year}-12-31"],
            "overrides": overrides or {},
        }
    )
    return policies.create_from_preset(session, authority, spec), authority


def budget(session, prog):
    return ledger.balance(session, AccountKind.BUDGET, ledger.Book.of_programme(prog))


def apply(session, org, order, **facts):
    return contract_vouchers.apply_for_voucher(session, member(org), order.id, None, facts)


def approve(session, reviewer, voucher, score=None):
    return voucher_reviews.review_voucher(session, reviewer, voucher.id, VoucherReview(Decision(True), score))


def assert_balanced(session):
    report = verify(session)
    assert report.ok, report


# -- the pure rules ------------------------------------------------------------------------------------


def test_the_amount_is_the_ratio_of_the_order_within_the_cap_and_the_yearly_total():
    assert contract_voucher_amount(10 * WAN, 30, 5 * WAN, None) == 3 * WAN  # ¥100,000 × 30% = ¥30,000
    assert contract_voucher_amount(30 * WAN, 30, 5 * WAN, None) == 5 * WAN  # ¥90,000 capped at ¥50,000
    assert contract_voucher_amount(99, 30, 5 * WAN, None) == 29  # floor to the fen
    assert contract_voucher_amount(100 * WAN, 50, 50 * WAN, 10 * WAN) == 10 * WAN  # the year's rest


def test_a_round_grants_by_score_until_the_budget_no_longer_covers_the_next():
    at = dt.datetime(2021, 3, 1, 9)
    entries = [
        RoundEntry(1, 70, at, 40),
        RoundEntry(2, 90, at, 50),
        RoundEntry(3, 90, at - dt.timedelta(hours=1), 30),  # same score, applied earlier: first
        RoundEntry(4, 60, at, 5),
    ]
    # ranked 3 (90, earlier), 2 (90), 1 (70), 4 (60); budget 100: 30 + 50 = 80, then 40 does not fit,
    # and 4 does not pass it (额满即止)
    assert rank_round(entries, 100) == ([3, 2], [1, 4])
    assert rank_round(entries, 0) == ([], [3, 2, 1, 4])


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(
    st.lists(st.tuples(st.integers(0, 100), st.integers(1, 10_000)), max_size=20),
    st.integers(0, 100_000),
)
def test_a_round_never_grants_more_than_its_budget_and_grants_a_prefix_of_the_ranking(items, budget_fen):
    at = dt.datetime(2021, 3, 1)
    entries = [RoundEntry(i, score, at + dt.timedelta(minutes=i), amount) for i, (score, amount) in enumerate(items)]
    granted, refused = rank_round(entries, budget_fen)
    by_id = {e.voucher_id: e for e in entries}
    assert sum(by_id[i].amount_fen for i in granted) <= budget_fen
    assert sorted(granted + refused) == sorted(by_id)
    ranking = [e.voucher_id for e in sorted(entries, key=lambda e: (-e.score, e.applied_at, e.voucher_id))]
    assert ranking[: len(granted)] == granted


# -- Linyi ---------------------------------------------------------------------------------------------


@pytest.fixture
def linyi(session, today):
    today("2026-03-02")  # a Monday; March 2026 has no public holiday
    prog, authority = programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)
    county = make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN)
    return prog, authority, county


def test_linyi_gives_30_percent_of_the_contract_up_to_50000_reviewed_by_the_county(session, linyi, today):
    prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    # 第十四条: 30% of a ¥100,000 contract = ¥30,000
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0)
    voucher = apply(session, org, order)
    assert (voucher.ratio, voucher.amount_fen, voucher.status) == (30, 3 * WAN, VoucherStatus.APPLIED)
    # 先到先补: reserved from the budget at once
    assert budget(session, prog) == 100 * WAN - 3 * WAN
    # the review is due in 5 working days: Monday 2 March → Monday 9 March
    assert voucher.due_on == dt.date(2026, 3, 9)
    assert_balanced(session)

    # the city's staff do not do the county's first review (第十条)
    city = make_staff(session, Role.OPERATOR, jurisdiction=LINYI)
    with pytest.raises(DomainError) as caught:
        approve(session, city, voucher)
    assert caught.value.code == "forbidden"
    # staff of another county do not even see it
    with pytest.raises(DomainError) as caught:
        approve(session, make_staff(session, Role.OPERATOR, jurisdiction="371311"), voucher)
    assert caught.value.code == "not_found"

    issued = approve(session, county, voucher)  # no notice before the grant: issued at once
    assert issued.status == VoucherStatus.ISSUED
    assert issued.number == "linyi-2026-2026-000001"
    assert issued.valid_until == dt.date(2026, 12, 31)  # to the end of the programme
    order = fresh(session).get(Order, order.id)
    assert (order.voucher_fen, order.self_pay_fen, order.voucher_book) == (3 * WAN, 7 * WAN, "linyi-2026/default")
    assert [line.voucher_fen for line in order.lines] == [3 * WAN]
    assert ledger.balance(session, AccountKind.IN_ORDERS, order_book(session, order), org.id) == 3 * WAN
    assert_balanced(session)

    # a second contract of ¥300,000 (90,000 at 30%) is capped at ¥50,000 — but Linyi is once ever (第九条)
    other = make_order(session, org, provider, amount_fen=30 * WAN, voucher_fen=0)
    with pytest.raises(DomainError) as caught:
        apply(session, org, other)
    assert caught.value.code == "not_eligible"


def order_book(session, order):
    return ledger.book_of(session, order.voucher_book, order.voucher_year)


def test_linyi_caps_at_50000_or_60000_with_a_lianghua_certificate(session, linyi):
    _prog, _authority, _county = linyi
    provider = make_org(session, "provider")
    plain, certified = make_org(session, region_code=LANSHAN), make_org(session, region_code=LANSHAN)
    # ¥300,000 × 30% = ¥90,000 → ≤ ¥50,000 (第十四条); with a 两化融合 certificate ≤ ¥60,000 (第十五条)
    a = apply(session, plain, make_order(session, plain, provider, amount_fen=30 * WAN, voucher_fen=0))
    b = apply(
        session,
        certified,
        make_order(session, certified, provider, amount_fen=30 * WAN, voucher_fen=0),
        certificates=["lianghua"],
    )
    assert (a.amount_fen, b.amount_fen) == (5 * WAN, 6 * WAN)


def test_linyi_is_once_ever_across_the_years_of_the_jurisdiction(session, linyi, today):
    prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    approve(
        session, county, apply(session, org, make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0))
    )
    today("2027-03-01")
    programme(session, "linyi", LINYI, "linyi-2027", 2027, 100 * WAN)
    later = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2027)
    with pytest.raises(DomainError) as caught:
        apply(session, org, later)
    assert caught.value.code == "not_eligible"
    assert "once" in str(caught.value.detail)
    # a refused application does not count: another enterprise refused in 2026 applies again in 2027
    assert budget(session, prog) == 100 * WAN - 3 * WAN


def test_a_refusal_returns_the_reservation_to_the_budget(session, linyi):
    prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    voucher = apply(session, org, make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0))
    refused = voucher_reviews.review_voucher(
        session, county, voucher.id, VoucherReview(Decision(False, "合同不真实"), None)
    )
    assert (refused.status, refused.reserved_fen, refused.reason) == (VoucherStatus.REFUSED, 0, "合同不真实")
    assert budget(session, prog) == 100 * WAN
    assert_balanced(session)


def test_a_contract_with_an_affiliated_provider_gets_no_voucher(session, linyi):
    # Liuzhou 第十七条 / Guizhou 第十三条(四): no 隶属、共建、产权纽带 between the two parties
    prog, _authority, _county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    affiliations.add_affiliation(
        session, make_staff(session, Role.OPERATOR), org.id, AffiliationInput(provider.id, "同一集团")
    )
    with pytest.raises(DomainError) as caught:
        apply(session, org, make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0))
    assert caught.value.code == "not_eligible" and "affiliated" in str(caught.value.detail)
    assert budget(session, prog) == 100 * WAN


def test_the_budget_used_up_refuses_the_next_application(session, today):
    today("2026-03-02")
    programme(session, "linyi", LINYI, "linyi-2026", 2026, 4 * WAN)  # ¥40,000
    provider = make_org(session, "provider")
    first, second = make_org(session, region_code=LANSHAN), make_org(session, region_code=LANSHAN)
    apply(session, first, make_order(session, first, provider, amount_fen=10 * WAN, voucher_fen=0))  # ¥30,000
    with pytest.raises(DomainError) as caught:  # 补完为止: ¥10,000 left, ¥30,000 asked
        apply(session, second, make_order(session, second, provider, amount_fen=10 * WAN, voucher_fen=0))
    assert caught.value.code == "budget_exhausted"


def test_an_issued_voucher_refunds_the_card_by_its_amount(session, linyi):
    _prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0)
    gateway = InProcessGateway()
    intent = gateway.prepare(amount_fen=10 * WAN, payment_method="pm_card_visa", attempt_key="k", description="")
    gateway.authorise(intent.id)
    gateway.capture(intent.id)
    order.payment_intent_id = intent.id
    session.commit()

    voucher = approve(session, county, apply(session, org, order))
    assert voucher.card_refund_fen == 3 * WAN
    assert voucher_issue.settle_card_refunds(session, gateway) == 1
    assert gateway.refunds == [(intent.id, 3 * WAN)]  # ¥30,000 back on the card: the enterprise paid ¥70,000
    assert voucher_issue.settle_card_refunds(session, gateway) == 0  # once
    assert fresh(session).get(type(voucher), voucher.id).card_refund_id


def test_a_held_card_is_refunded_after_the_provider_captures_it(session, linyi):
    _prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, status="placed")
    gateway = InProcessGateway()
    intent = gateway.prepare(amount_fen=10 * WAN, payment_method="pm_card_visa", attempt_key="k2", description="")
    gateway.authorise(intent.id)
    order.payment_intent_id = intent.id
    session.commit()
    approve(session, county, apply(session, org, order))
    assert voucher_issue.settle_card_refunds(session, gateway) == 0  # still a hold
    services.confirm_order(session, member(provider), order.id, gateway=gateway)
    assert fresh(session).get(Order, order.id).payment_status == PaymentStatus.CAPTURED
    assert voucher_issue.settle_card_refunds(session, gateway) == 1
    assert gateway.refunds == [(intent.id, 3 * WAN)]


def test_a_voucher_lapses_when_its_contract_is_not_performed(session, linyi):
    prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0)
    voucher = approve(session, county, apply(session, org, order))
    with pytest.raises(DomainError):
        voucher_issue.lapse_voucher(session, make_staff(session, jurisdiction="371311"), voucher.id, "合同未履行")
    lapsed = voucher_issue.lapse_voucher(session, county, voucher.id, "合同未履行")  # 第十四条
    assert (lapsed.status, lapsed.reason) == (VoucherStatus.LAPSED, "合同未履行")
    assert budget(session, prog) == 100 * WAN
    order = fresh(session).get(Order, order.id)
    assert (order.voucher_fen, order.self_pay_fen) == (0, 10 * WAN)
    assert_balanced(session)


def test_a_refunded_order_lapses_its_voucher_and_the_money_returns_to_the_budget(session, linyi):
    prog, _authority, county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0)
    gateway = InProcessGateway()
    intent = gateway.prepare(amount_fen=10 * WAN, payment_method="pm_card_visa", attempt_key="k3", description="")
    gateway.authorise(intent.id)
    gateway.capture(intent.id)
    order.payment_intent_id = intent.id
    session.commit()
    voucher = approve(session, county, apply(session, org, order))
    voucher_issue.settle_card_refunds(session, gateway)  # ¥30,000 back on the card
    services.request_refund(session, member(org), order.id, "不再需要")
    services.decide_refund(session, member(provider), order.id, Decision(True), gateway=gateway)
    # the order's own refund gives back what the enterprise still paid: ¥70,000, ¥100,000 in all
    assert gateway.refunds == [(intent.id, 3 * WAN), (intent.id, 7 * WAN)]
    assert fresh(session).get(type(voucher), voucher.id).status == VoucherStatus.LAPSED
    assert budget(session, prog) == 100 * WAN
    assert ledger.balance(session, AccountKind.AVAILABLE, order_book(session, order), org.id) == 0
    assert_balanced(session)


def test_a_cancelled_order_withdraws_its_application(session, linyi):
    prog, _authority, _county = linyi
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, status="placed")
    voucher = apply(session, org, order)
    services.cancel_order(session, member(org), order.id, gateway=InProcessGateway())
    assert fresh(session).get(type(voucher), voucher.id).status == VoucherStatus.WITHDRAWN
    assert budget(session, prog) == 100 * WAN


def test_an_order_of_another_enterprise_cannot_be_applied_for(session, linyi):
    org, other, provider = (
        make_org(session, region_code=LANSHAN),
        make_org(session, region_code=LANSHAN),
        make_org(session, "provider"),
    )
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0)
    with pytest.raises(DomainError) as caught:
        apply(session, other, order)
    assert caught.value.code == "not_found"
    outside = make_org(session, region_code="520102")  # Guiyang: not under Linyi
    with pytest.raises(DomainError) as caught:
        apply(session, outside, make_order(session, outside, provider, amount_fen=10 * WAN, voucher_fen=0))
    assert caught.value.code == "not_eligible"


# -- Liuzhou -------------------------------------------------------------------------------------------


@pytest.fixture
def liuzhou(session, today):
    today("2021-03-01")  # a Monday
    prog, authority = programme(session, "liuzhou", LIUZHOU, "liuzhou-2021", 2021, 100 * WAN)
    county = make_staff(session, Role.OPERATOR, jurisdiction=CHENGZHONG)
    city = make_staff(session, Role.OPERATOR, jurisdiction=LIUZHOU)
    return prog, authority, county, city


def reviewed(session, county, city, org, order, score):
    voucher = apply(session, org, order)
    approve(session, county, voucher)
    return approve(session, city, voucher, score)


def test_liuzhou_gives_50_percent_in_2021_after_the_county_and_the_city(session, liuzhou, today):
    prog, authority, county, city = liuzhou
    org, provider = make_org(session, region_code=CHENGZHONG), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021)
    voucher = apply(session, org, order)
    # 第十六条: 50% in 2021 → ¥50,000 of a ¥100,000 contract; ranked: nothing reserved until the round
    assert (voucher.ratio, voucher.amount_fen, voucher.reserved_fen) == (50, 5 * WAN, 0)
    assert budget(session, prog) == 100 * WAN
    with pytest.raises(DomainError) as caught:  # the city does not do the county's first review
        approve(session, city, voucher)
    assert caught.value.code == "forbidden"
    approve(session, county, voucher)
    with pytest.raises(DomainError) as caught:  # the city's review scores the application
        approve(session, city, voucher)
    assert caught.value.code == "validation_error"
    scored = approve(session, city, voucher, 85)
    assert (scored.status, scored.score) == (VoucherStatus.REVIEWED, 85)

    lines = voucher_reviews.close_round(session, authority, prog.id)
    assert [line.granted for line in lines] == [True]
    granted = fresh(session).get(type(voucher), voucher.id)
    # 第十四条: a notice of 5 working days, Monday 1 March → Monday 8 March, then issued
    assert (granted.status, granted.notice_ends_on) == (VoucherStatus.IN_NOTICE, dt.date(2021, 3, 8))
    assert budget(session, prog) == 95 * WAN
    assert voucher_issue.issue_after_notice(session, dt.date(2021, 3, 8)) == 0
    today("2021-03-09")
    assert voucher_issue.issue_after_notice(session) == 1
    issued = fresh(session).get(type(voucher), voucher.id)
    # 第十八条: valid one year from issuance
    assert (issued.status, issued.number) == (VoucherStatus.ISSUED, "liuzhou-2021-2021-000001")
    assert issued.valid_until == dt.date(2022, 3, 8)
    assert_balanced(session)


def test_liuzhou_counts_every_granted_voucher_toward_500000_a_year(session, liuzhou, today):
    prog, authority, county, city = liuzhou
    org, provider = make_org(session, region_code=CHENGZHONG), make_org(session, "provider")
    # three contracts of ¥400,000 at 50% = ¥200,000 each: 200k + 200k, then only 100k of the year is left
    vouchers = [
        reviewed(session, county, city, org, make_order(session, org, provider, amount_fen=40 * WAN, voucher_fen=0), 80)
        for _ in range(2)
    ]
    voucher_reviews.close_round(session, authority, prog.id)
    today("2021-03-09")
    voucher_issue.issue_after_notice(session)
    # the first is lapsed (not used): it still counts (第十四条 "无论是否使用")
    voucher_issue.lapse_voucher(session, county, vouchers[0].id, "合同未履行")
    third = apply(session, org, make_order(session, org, provider, amount_fen=40 * WAN, voucher_fen=0))
    assert third.amount_fen == 10 * WAN
    fourth = make_order(session, org, provider, amount_fen=40 * WAN, voucher_fen=0)
    with pytest.raises(DomainError) as caught:
        apply(session, org, fourth)
    assert caught.value.code == "not_eligible"
    assert_balanced(session)


def test_a_ranked_round_grants_by_score_and_stops_when_the_budget_is_used(session, today):
    today("2021-03-01")
    # a budget of ¥120,000; three applications of ¥50,000 each (¥100,000 contracts at 50%)
    prog, authority = programme(session, "liuzhou", LIUZHOU, "liuzhou-2021", 2021, 12 * WAN)
    county = make_staff(session, Role.OPERATOR, jurisdiction=CHENGZHONG)
    city = make_staff(session, Role.OPERATOR, jurisdiction=LIUZHOU)
    provider = make_org(session, "provider")
    orgs = [make_org(session, region_code=CHENGZHONG) for _ in range(3)]
    scores = [60, 95, 80]  # the first to apply is ranked last
    vouchers = [
        reviewed(session, county, city, org, make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0), s)
        for org, s in zip(orgs, scores, strict=True)
    ]
    _prog, preview = voucher_reviews.round_preview(session, authority, prog.id)
    assert [(line.voucher.id, line.rank, line.granted) for line in preview] == [
        (vouchers[1].id, 1, True),  # 95
        (vouchers[2].id, 2, True),  # 80
        (vouchers[0].id, 3, False),  # 60: ¥20,000 left, ¥50,000 asked: 额满即止
    ]
    with pytest.raises(DomainError) as caught:  # the round is the authority's
        voucher_reviews.close_round(session, city, prog.id)
    assert caught.value.code == "forbidden"
    voucher_reviews.close_round(session, authority, prog.id)
    s = fresh(session)
    statuses = [s.get(type(v), v.id).status for v in vouchers]
    assert statuses == [VoucherStatus.REFUSED, VoucherStatus.IN_NOTICE, VoucherStatus.IN_NOTICE]
    assert "额满即止" in s.get(type(vouchers[0]), vouchers[0].id).reason
    assert budget(session, prog) == 2 * WAN
    assert_balanced(session)


def test_an_expired_voucher_cannot_be_redeemed_a_year_and_a_day_after_issuance(session, liuzhou, today):
    prog, authority, county, city = liuzhou
    org, provider = make_org(session, region_code=CHENGZHONG), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021)
    voucher = reviewed(session, county, city, org, order, 90)
    voucher_reviews.close_round(session, authority, prog.id)
    today("2021-03-09")
    voucher_issue.issue_after_notice(session)  # issued Tuesday 9 March 2021, valid to 8 March 2022
    today("2022-03-10")  # a year and a day after issuance
    with pytest.raises(DomainError) as caught:
        claims.create_claim(session, member(provider), ClaimInput.from_input({"order_ids": [order.id]}))
    assert "expired" in str(caught.value.detail)
    # the daily job lapses it: the money returns to the budget
    assert voucher_issue.lapse_expired(session) == 1
    assert fresh(session).get(type(voucher), voucher.id).status == VoucherStatus.LAPSED
    assert budget(session, prog) == 100 * WAN
    assert_balanced(session)


def test_an_issued_voucher_is_claimed_as_any_voucher_backed_order(session, liuzhou, today):
    prog, authority, county, city = liuzhou
    org, provider = make_org(session, region_code=CHENGZHONG), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021)
    reviewed(session, county, city, org, order, 90)
    voucher_reviews.close_round(session, authority, prog.id)
    today("2021-03-09")
    voucher_issue.issue_after_notice(session)
    claim = claims.create_claim(session, member(provider), ClaimInput.from_input({"order_ids": [order.id]}))
    assert claim.total_fen == 5 * WAN
    assert session.scalar(select(Order.voucher_fen).where(Order.id == order.id)) == 5 * WAN


def test_a_linyi_programme_claims_every_half_year_by_default(session, today):
    today("2026-03-02")
    authority = make_staff(session, Role.AUTHORITY, jurisdiction=LINYI)
    spec = ProgrammeSpec.from_input(
        {
            "preset": "linyi",
            "code": "linyi-2026-27",
            "jurisdiction": LINYI,
            "starts_on": "2026-03-01",
            "ends_on": "2027-12-31",
            "budget_fen": WAN,
        }
    )
    prog = policies.create_from_preset(session, authority, spec)
    assert [d.day.isoformat() for d in prog.settlement_dates] == [
        "2026-06-30",
        "2026-12-31",
        "2027-06-30",
        "2027-12-31",
    ]


def test_liuzhou_from_contract_to_payment_with_its_eight_kinds_of_evidence(session, liuzhou, today, tmp_path):
    from claims import documents, reviews
    from claims.commands import DisbursementInput, DocumentInput
    from tests.helpers import PDF, upload

    prog, authority, county, city = liuzhou
    org, provider = make_org(session, region_code=CHENGZHONG), make_org(session, "provider")
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021)
    voucher = reviewed(session, county, city, org, order, 90)
    voucher_reviews.close_round(session, authority, prog.id)
    today("2021-03-09")
    voucher_issue.issue_after_notice(session)
    user = member(provider)
    claim = claims.create_claim(session, user, ClaimInput.from_input({"order_ids": [order.id]}))
    # 第二十条: the voucher, the application, the contract, proof of self-payment, the invoice, the bank
    # receipt, proof of completion and the project summary; missing one refuses the submission
    kinds = ["voucher", "voucher_application", "contract", "self_payment", "bank_receipt", "completion"]
    for kind in kinds:
        documents.add_claim_document(
            session, user, claim.id, DocumentInput.from_input({"kind": kind}), upload(PDF, f"{kind}.pdf"), tmp_path
        )
    invoice = {"kind": "invoice", "invoice_number": "45000000001", "invoice_amount_fen": 10 * WAN}
    documents.add_claim_document(
        session, user, claim.id, DocumentInput.from_input(invoice), upload(PDF, "invoice.pdf"), tmp_path
    )
    with pytest.raises(DomainError) as caught:
        claims.submit_claim(session, user, claim.id)
    assert caught.value.code == "missing_documents" and caught.value.extra["missing"] == ["project_summary"]
    documents.add_claim_document(
        session, user, claim.id, DocumentInput.from_input({"kind": "project_summary"}), upload(PDF, "s.pdf"), tmp_path
    )
    claims.submit_claim(session, user, claim.id)  # the settlement date 2021-06-30
    reviews.review_claim(session, make_staff(session, Role.OPERATOR), claim.id, Decision(True))
    reviews.review_claim(session, make_staff(session, Role.AUTHORITY), claim.id, Decision(True))
    paid = reviews.disburse_claim(
        session,
        make_staff(session, Role.FINANCE, jurisdiction="4502"),
        claim.id,
        DisbursementInput.from_input({"reference": "柳财-1"}),
    )
    assert paid.disbursed_fen == 5 * WAN  # 50% of ¥100,000
    assert fresh(session).get(type(voucher), voucher.id).status == VoucherStatus.REDEEMED
    assert budget(session, prog) == 95 * WAN
    assert_balanced(session)
