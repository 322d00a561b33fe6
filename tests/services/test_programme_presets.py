"""Programmes as policy (issue 13): the Guizhou and Baiyun presets side by side, replayed against
their notices with the figures worked out by hand in the comments (both databases).

Amounts: ¥1 = 100 fen; 万 = ¥10,000 = 1,000,000 fen. 2 March 2026 is a Monday; March 2026 has no
public holidays, so working days are Monday to Friday.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from orders.pricing import quote
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import grant_wallet, make_org, make_product, make_programme, make_staff, member
from wallet import grant_upkeep, grants, ledger, policies, reconsiderations, services, spending
from wallet.commands import GrantRequest, ProgrammeSpec
from wallet.states import AccountKind, ApplicationStatus

WAN = 1_000_000  # fen in ¥10,000
BAIYUN = "440111"


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def baiyun_programme(session, code="baiyun-2026", *, year=2026, budget_fen=5_000 * WAN, overrides=None, authority=None):
    authority = authority or _baiyun_authority(session)
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": code,
            "jurisdiction": BAIYUN,
            "starts_on": f"{year}-01-01",
            "ends_on": f"{year}-12-31",
            "budget_fen": budget_fen,
            "settlement_dates": [f"{year}-06-30", f"{year}-12-20"],
            "overrides": overrides or {},
        }
    )
    return policies.create_from_preset(session, authority, spec)


def _baiyun_authority(session):
    authority = make_staff(session, Role.AUTHORITY)
    authority.jurisdiction = BAIYUN
    session.commit()
    return authority


def baiyun_enterprise(session):
    return make_org(session, region_code="440111")


def apply(session, org, scheme, code="baiyun-2026", **facts):
    request = GrantRequest.from_input({"programme": code, "scheme": scheme, "facts": facts})
    return grants.apply(session, member(org), request.programme, request.scheme, request.facts)


def operator(session):
    return make_staff(session, Role.OPERATOR)


def test_guizhou_and_baiyun_run_side_by_side_each_with_its_own_budget(session):
    make_programme(session, budget_fen=100 * WAN)  # Guizhou 2026: ¥1,000,000
    baiyun_programme(session, budget_fen=5_000 * WAN)  # Baiyun 2026: ¥50,000,000
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 100 * WAN
    assert (
        ledger.balance(
            session, AccountKind.BUDGET, ledger.Book("baiyun-2026", "baiyun-2026", 2026, dt.date(2026, 12, 31))
        )
        == 5_000 * WAN
    )

    guiyang = make_org(session, region_code="520102")
    grant_wallet(session, guiyang)  # Guizhou's cap: ¥50,000 from Guizhou's budget
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 100 * WAN - 5 * WAN

    # 第八条 of Baiyun: enterprises registered in the district only
    with pytest.raises(DomainError) as caught:
        apply(session, guiyang, "public_cloud", last_year_tax_fen=0)
    assert caught.value.code == "not_eligible"

    baiyun = baiyun_enterprise(session)
    public = apply(session, baiyun, "public_cloud", last_year_tax_fen=100 * WAN)  # taxes ¥1,000,000 → cap ¥100,000
    park = apply(session, baiyun, "software_park")  # 80% ≤ ¥200,000
    assert (public.reserved_fen, park.reserved_fen) == (10 * WAN, 20 * WAN)
    budget = ledger.Book("baiyun-2026", "baiyun-2026", 2026, dt.date(2026, 12, 31))
    assert ledger.balance(session, AccountKind.BUDGET, budget) == 5_000 * WAN - 30 * WAN
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 95 * WAN  # Guizhou's untouched


@pytest.mark.parametrize(
    ("tax_yuan", "cap_yuan"),
    [
        (25_000_000, 1_000_000),  # ≥ ¥20,000,000 of taxes → ≤ ¥1,000,000
        (20_000_000, 1_000_000),  # the band's lower edge belongs to it ("以上")
        (6_000_000, 300_000),  # ≥ ¥5,000,000 → ≤ ¥300,000
        (4_999_999, 100_000),  # below ¥5,000,000 → ≤ ¥100,000
    ],
)
def test_public_cloud_caps_follow_last_years_taxes(session, tax_yuan, cap_yuan):
    baiyun_programme(session)
    application = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=tax_yuan * 100)
    assert application.reserved_fen == cap_yuan * 100


def test_the_yearly_total_across_schemes_limits_the_last_application(session):
    # the authority lowers the yearly total to ¥1,500,000 for this test (the notice: ¥2,000,000)
    baiyun_programme(session, overrides={"yearly_total_fen": 150 * WAN})
    org = baiyun_enterprise(session)
    # public cloud with ¥25,000,000 of taxes: ¥1,000,000 → left ¥500,000
    assert apply(session, org, "public_cloud", last_year_tax_fen=2_500 * WAN).reserved_fen == 100 * WAN
    # smart workshop: ≤ ¥400,000 → left ¥100,000
    assert apply(session, org, "smart_manufacturing", project="workshop").reserved_fen == 40 * WAN
    # software park: its cap ¥200,000, but only ¥100,000 of the year's total is left
    assert apply(session, org, "software_park").reserved_fen == 10 * WAN
    # dev cloud: nothing left this year
    with pytest.raises(DomainError) as caught:
        apply(session, org, "dev_cloud", packages=1, seats=10, enterprise_class="other")
    assert caught.value.code == "not_eligible"


def test_dev_cloud_packages_are_limited_by_the_enterprises_class(session):
    baiyun_programme(session)
    org = baiyun_enterprise(session)
    # not "四上": at most 5 packages
    with pytest.raises(DomainError) as caught:
        apply(session, org, "dev_cloud", packages=6, seats=10, enterprise_class="other")
    assert "facts.packages" in caught.value.errors
    # "四上": 10 packages of 50 seats at the preset's ¥25,000 a package → ¥250,000
    other = baiyun_enterprise(session)
    assert (
        apply(session, other, "dev_cloud", packages=10, seats=50, enterprise_class="sishang").reserved_fen == 25 * WAN
    )


def test_a_grant_for_less_than_the_cap_needs_a_reason_and_returns_the_rest(session):
    baiyun_programme(session)
    application = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=600 * WAN)  # ¥300,000
    staff = operator(session)
    with pytest.raises(DomainError) as caught:
        services.review_application(session, staff, application.id, Decision(True), 20 * WAN)
    assert "reason" in caught.value.errors
    decided = services.review_application(session, staff, application.id, Decision(True, "合同金额仅40万"), 20 * WAN)
    # Baiyun publishes a grant before it takes effect: ¥200,000 in notice, ¥100,000 back in the budget
    assert decided.status == ApplicationStatus.IN_NOTICE
    assert (decided.granted_fen, decided.reserved_fen) == (20 * WAN, 20 * WAN)
    budget = ledger.Book("baiyun-2026", "baiyun-2026", 2026, dt.date(2026, 12, 31))
    assert ledger.balance(session, AccountKind.BUDGET, budget) == 5_000 * WAN - 20 * WAN


def _granted_public_cloud(session, today):
    baiyun_programme(session)
    org = baiyun_enterprise(session)
    application = apply(session, org, "public_cloud", last_year_tax_fen=0)  # ¥100,000
    services.review_application(session, operator(session), application.id, Decision(True))
    # published Monday 2 March for 5 working days: the notice ends Monday 9 March; a 复核 may still be
    # asked for 5 working days after it (to Monday 16 March): the grant takes effect on 17 March
    assert application.notice_ends_on == dt.date(2026, 3, 9)
    today("2026-03-16")
    assert grants.issue_after_notice(session) == 0
    today("2026-03-17")
    assert grants.issue_after_notice(session) == 1
    assert application.status == ApplicationStatus.GRANTED
    return org, application


def test_a_grant_unused_for_30_days_is_reclaimed(session, today):
    org, application = _granted_public_cloud(session, today)
    book = grants.application_book(session, application)[0]
    assert ledger.balance(session, AccountKind.AVAILABLE, book, org.id) == 10 * WAN
    # 第十六条: took effect 17 March; nothing spent by 15 April (day 29) → kept; 16 April (day 30) → reclaimed
    today("2026-04-15")
    assert grant_upkeep.reclaim_unused(session) == 0
    today("2026-04-16")
    assert grant_upkeep.reclaim_unused(session) == 10 * WAN
    assert ledger.balance(session, AccountKind.AVAILABLE, book, org.id) == 0
    assert application.released_fen == 10 * WAN
    assert ledger.balance(session, AccountKind.BUDGET, book) == 5_000 * WAN
    assert grant_upkeep.reclaim_unused(session) == 0  # once


def test_the_operator_releases_an_unused_part_of_a_grant(session, today):
    org, application = _granted_public_cloud(session, today)
    staff = operator(session)
    with pytest.raises(DomainError):
        grant_upkeep.release(session, staff, application.id, 11 * WAN, "超出")  # more than the wallet holds
    grant_upkeep.release(session, staff, application.id, 4 * WAN, "企业放弃部分额度")
    wallet = services.wallet(session, org.id, 2026, application)
    assert (wallet.available_fen, application.released_fen) == (6 * WAN, 4 * WAN)


def test_a_reconsideration_holds_the_grant_until_it_is_decided(session, today):
    baiyun_programme(session)
    held = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=0)
    upheld = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=0)
    staff = operator(session)
    for application in (held, upheld):
        services.review_application(session, staff, application.id, Decision(True))
    rival = baiyun_enterprise(session)
    # asked during the notice (Thursday 5 March): both grants are held
    today("2026-03-05")
    first = reconsiderations.request(session, member(rival), held.id, "该企业上年纳税数据有误")
    second = reconsiderations.request(session, member(rival), upheld.id, "该企业不在白云区经营")
    assert held.status == upheld.status == ApplicationStatus.ON_HOLD
    assert first.accept_by == dt.date(2026, 3, 12)  # accepted or not within 5 working days
    today("2026-03-17")
    assert grants.issue_after_notice(session) == 0  # held: no grant takes effect
    reconsiderations.answer(session, staff, first.id, True, None)
    reconsiderations.answer(session, staff, second.id, True, None)
    # decided within 15 working days of 17 March: 18–20 March (3), 23–27 (8), 30 March–3 April (13), the
    # Qingming holiday 4–6 April, then 7 and 8 April (15)
    assert first.decide_by == dt.date(2026, 4, 8)
    reconsiderations.decide(session, staff, first.id, False, "核实纳税数据无误")  # dismissed
    reconsiderations.decide(session, staff, second.id, True, "核实不在本区经营")  # upheld
    assert held.status == ApplicationStatus.IN_NOTICE
    assert upheld.status == ApplicationStatus.REJECTED and upheld.granted_fen == 0
    assert grants.issue_after_notice(session) == 1
    assert held.status == ApplicationStatus.GRANTED
    budget = grants.application_book(session, held)[0]
    # ¥50,000,000 less the one grant of ¥100,000 that stood
    assert ledger.balance(session, AccountKind.BUDGET, budget) == 5_000 * WAN - 10 * WAN


def test_the_dev_cloud_ratio_in_the_second_year_of_the_subscription(session, today):
    provider = make_org(session, "provider", region_code="440111")
    devops = make_product(session, provider, price_fen=1_000_00, layer="platform", category="devops")
    compute = make_product(session, provider, price_fen=1_000_00, layer="infrastructure", category="compute")
    org = baiyun_enterprise(session)
    baiyun_programme(session)
    baiyun_programme(session, "baiyun-2027", year=2027)
    first = apply(session, org, "dev_cloud", packages=1, seats=10, enterprise_class="other")
    services.review_application(session, operator(session), first.id, Decision(True))
    today("2026-03-17")
    grants.issue_after_notice(session)
    # first year: 100% of a ¥1,000 dev-cloud product; a compute product lies outside the scheme
    priced = quote(session, org.id, [(devops.id, 1), (compute.id, 1)], use_vouchers=True)
    assert priced.wallet == "baiyun-2026/dev_cloud"
    assert [line.voucher_fen for o in priced.orders for line in o.lines] == [1_000_00, 0]

    today("2027-03-01")  # a Monday
    second = apply(session, org, "dev_cloud", "baiyun-2027", packages=1, seats=10, enterprise_class="other")
    assert second.subscription_year == 2
    services.review_application(session, operator(session), second.id, Decision(True))
    today("2027-03-16")
    grants.issue_after_notice(session)
    # second year: 80% of ¥1,000 = ¥800
    priced = quote(session, org.id, [(devops.id, 1)], use_vouchers=True)
    assert priced.wallet == "baiyun-2027/dev_cloud"
    assert priced.voucher_fen == 800_00


def test_an_enterprise_with_two_wallets_chooses_which_one_a_checkout_spends(session, today):
    provider = make_org(session, "provider", region_code="440111")
    product = make_product(session, provider, price_fen=1_000_00, layer="infrastructure", category="compute")
    org = baiyun_enterprise(session)
    baiyun_programme(session)
    staff = operator(session)
    for scheme, facts in (
        ("public_cloud", {"last_year_tax_fen": 0}),
        ("smart_manufacturing", {"project": "diagnosis"}),
    ):
        application = apply(session, org, scheme, **facts)
        services.review_application(session, staff, application.id, Decision(True))
    today("2026-03-17")
    assert grants.issue_after_notice(session) == 2
    keys = [c.key for c in spending.choices(session, org.id, dt.date(2026, 3, 17)) if c.available_fen]
    assert set(keys) == {"baiyun-2026/public_cloud", "baiyun-2026/smart_manufacturing"}
    # public cloud pays 50% of a compute product; smart manufacturing covers no compute product
    assert (
        quote(session, org.id, [(product.id, 1)], use_vouchers=True, wallet="baiyun-2026/public_cloud").voucher_fen
        == 500_00
    )
    assert (
        quote(
            session, org.id, [(product.id, 1)], use_vouchers=True, wallet="baiyun-2026/smart_manufacturing"
        ).voucher_fen
        == 0
    )


def test_once_ever_schemes_are_not_granted_twice(session, today):
    org = baiyun_enterprise(session)
    baiyun_programme(session)
    baiyun_programme(session, "baiyun-2027", year=2027)
    park = apply(session, org, "software_park")
    services.review_application(session, operator(session), park.id, Decision(True))
    today("2027-03-01")
    with pytest.raises(DomainError) as caught:
        apply(session, org, "software_park", "baiyun-2027")
    assert caught.value.code == "not_eligible"


def test_every_decision_records_the_policy_version_it_was_taken_under(session):
    authority = _baiyun_authority(session)
    baiyun_programme(session, authority=authority)
    org = baiyun_enterprise(session)
    before = apply(session, org, "public_cloud", last_year_tax_fen=0)
    version = policies.change_policy(
        session, authority, "baiyun-2026", {"schemes.software_park.cap_fen": 15 * WAN}, "区财政调整"
    )
    assert version.number == 2
    after = apply(session, org, "software_park")
    assert (before.policy_version, after.policy_version, after.reserved_fen) == (1, 2, 15 * WAN)
    # a Guiyang authority cannot change Baiyun's policy
    guiyang = make_staff(session, Role.AUTHORITY)
    guiyang.jurisdiction = "5201"
    session.commit()
    with pytest.raises(DomainError):
        policies.change_policy(session, guiyang, "baiyun-2026", {}, "越权")


def test_an_incomplete_application_is_returned_completed_in_3_working_days_or_lapses(session, today):
    baiyun_programme(session)
    staff = operator(session)
    kept = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=600 * WAN)  # ¥300,000
    lost = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=0)  # ¥100,000
    for application in (kept, lost):
        grant_upkeep.return_for_completion(session, staff, application.id, "缺少完税证明")
    # returned Monday 2 March: completed by Thursday 5 March (3 working days)
    assert (kept.status, kept.complete_by) == (ApplicationStatus.RETURNED, dt.date(2026, 3, 5))
    today("2026-03-05")
    # the completed facts give a lower cap (taxes ¥1,000,000 → ¥100,000): the rest goes back
    grant_upkeep.complete(session, member(kept.organisation), kept.id, {"last_year_tax_fen": 100 * WAN})
    assert (kept.status, kept.reserved_fen) == (ApplicationStatus.PENDING, 10 * WAN)
    today("2026-03-06")
    assert grant_upkeep.lapse_uncompleted(session) == 1
    assert lost.status == ApplicationStatus.REJECTED
    budget = grants.application_book(session, kept)[0]
    assert ledger.balance(session, AccountKind.BUDGET, budget) == 5_000 * WAN - 10 * WAN


def test_a_programmes_unused_vouchers_expire_at_its_end_and_public_cloud_runs_three_years(session, today):
    org = baiyun_enterprise(session)
    for year in (2026, 2027, 2028, 2029):
        baiyun_programme(session, f"baiyun-{year}", year=year)
    staff = operator(session)
    for year in (2026, 2027, 2028):
        today(f"{year}-03-02")
        application = apply(session, org, "public_cloud", f"baiyun-{year}", last_year_tax_fen=0)
        services.review_application(session, staff, application.id, Decision(True))
        today(f"{year}-03-31")
        grants.issue_after_notice(session)
    # none of the three grants of ¥100,000 was spent (the reclaim job did not run here): once their
    # programmes have ended, the daily expiry moves all three to expired
    book = grants.application_book(session, application)[0]
    assert ledger.balance(session, AccountKind.AVAILABLE, book, org.id) == 10 * WAN
    today("2029-01-01")
    assert services.expire_past_years(session) == 30 * WAN  # the three years' ¥100,000, none spent
    assert services.expire_past_years(session) == 0
    # "补贴额度周期为三年，逐年申请": a fourth year of public cloud is refused
    today("2029-03-02")
    with pytest.raises(DomainError) as caught:
        apply(session, org, "public_cloud", "baiyun-2029", last_year_tax_fen=0)
    assert caught.value.code == "not_eligible"


def test_staff_of_another_jurisdiction_cannot_act_on_baiyuns_applications(session, today):
    baiyun_programme(session)
    tianhe = make_staff(session, Role.OPERATOR, jurisdiction="440106")  # 天河区
    district = make_staff(session, Role.OPERATOR, jurisdiction="440111")
    application = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=0)
    with pytest.raises(DomainError) as caught:
        services.review_application(session, tianhe, application.id, Decision(True))
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError):
        grant_upkeep.return_for_completion(session, tianhe, application.id, "缺材料")
    services.review_application(session, district, application.id, Decision(True))
    item = reconsiderations.request(session, member(baiyun_enterprise(session)), application.id, "有异议")
    with pytest.raises(DomainError) as caught:
        reconsiderations.answer(session, tianhe, item.id, True, None)
    assert caught.value.code == "not_found"
    reconsiderations.answer(session, district, item.id, False, "理由不成立")
    today("2026-03-17")
    grants.issue_after_notice(session)
    with pytest.raises(DomainError):
        grant_upkeep.release(session, tianhe, application.id, 1 * WAN, "退回")
    grant_upkeep.release(session, district, application.id, 1 * WAN, "退回")


def test_a_baiyun_order_is_claimed_at_baiyuns_settlement_date_and_paid_from_its_wallet(session, today, tmp_path):
    from claims import reviews
    from tests.helpers import make_claim, make_order

    make_programme(session)  # Guizhou's settlement dates: 30 June, 20 December
    authority = _baiyun_authority(session)
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": "baiyun-2026",
            "jurisdiction": BAIYUN,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 100 * WAN,
            "settlement_dates": ["2026-04-30"],
        }
    )
    policies.create_from_preset(session, authority, spec)
    org = baiyun_enterprise(session)
    application = apply(session, org, "public_cloud", last_year_tax_fen=0)
    services.review_application(session, operator(session), application.id, Decision(True))
    today("2026-03-17")
    grants.issue_after_notice(session)
    book = grants.application_book(session, application)[0]
    provider = make_org(session, "provider")
    # a ¥10,000 order, ¥5,000 of it from the public-cloud wallet (50%)
    order = make_order(session, org, provider, amount_fen=10_000_00, voucher_fen=5_000_00, book=book)
    claim = make_claim(session, provider, [order], tmp_path)
    assert claim.settlement_date == dt.date(2026, 4, 30)  # Baiyun's date, not Guizhou's 30 June
    assert claim.policy_version == 1
    assert ledger.balance(session, AccountKind.CLAIMED, book, org.id) == 5_000_00
    assert ledger.balance(session, AccountKind.CLAIMED, 2026, org.id) == 0  # Guizhou's wallet untouched
    # the rest of the claim's life moves the same wallet (reviewed and paid as every claim is)
    assert reviews.roll_over_claims(session, dt.date(2026, 5, 1)) == 0  # no later Baiyun date: it waits


def test_a_grant_is_on_the_public_notice_during_its_notice_and_withdrawn_when_a_reconsideration_is_upheld(session):
    from oversight.models import NoticeEntry

    baiyun_programme(session)
    application = apply(session, baiyun_enterprise(session), "public_cloud", last_year_tax_fen=0)
    staff = operator(session)
    services.review_application(session, staff, application.id, Decision(True))
    entry = session.scalars(select(NoticeEntry).where(NoticeEntry.subject_id == application.id)).one()
    assert (entry.amount_fen, entry.programme.code, entry.policy_version) == (10 * WAN, "baiyun-2026", 1)
    # published Monday 2 March, in notice for 5 working days
    assert (entry.published_on, entry.notice_ends_on) == (dt.date(2026, 3, 2), dt.date(2026, 3, 9))
    item = reconsiderations.request(session, member(baiyun_enterprise(session)), application.id, "不在本区经营")
    reconsiderations.answer(session, staff, item.id, True, None)
    reconsiderations.decide(session, staff, item.id, True, "核实不在本区经营")
    assert entry.withdrawn_on == dt.date(2026, 3, 2) and entry.withdrawal_reason == "核实不在本区经营"


def test_a_grant_valid_for_days_from_the_grant_expires_then(session, today):
    # the authority limits Baiyun's vouchers to 60 days from the grant (the notice: the programme's end)
    baiyun_programme(session, overrides={"validity_days": 60})
    org = baiyun_enterprise(session)
    application = apply(session, org, "public_cloud", last_year_tax_fen=0)
    services.review_application(session, operator(session), application.id, Decision(True))
    today("2026-03-17")
    grants.issue_after_notice(session)
    # took effect on 17 March: 60 days are 17 March – 15 May
    assert application.valid_until == dt.date(2026, 5, 15)
    assert services.wallet(session, org.id, 2026, application).expires_on == dt.date(2026, 5, 15)
    today("2026-05-15")
    assert services.expire_past_years(session) == 0
    today("2026-05-16")
    assert services.expire_past_years(session) == 10 * WAN
    assert [c.key for c in spending.choices(session, org.id, dt.date(2026, 5, 16))] == ["2026"]
