"""The guizhou preset replayed as a city's own programme (next year's Zunyi programme, 遵义市 5203):
the notice's rules with the figures worked out by hand (第十四条 eligibility, 第十六条 the cap, the layer
ratios and validity to the programme's end, grants in effect at once and published after the fact, the
claim's four kinds of evidence), beside the province-wide programme of the same year (both databases).
¥1 = 100 fen."""

import datetime as dt

import pytest
from sqlalchemy import select

from orders.pricing import quote
from oversight.models import NoticeEntry
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import make_org, make_product, make_programme, make_staff, member
from wallet import grants, ledger, policies, services
from wallet.commands import ProgrammeSpec
from wallet.states import AccountKind, ApplicationStatus


@pytest.fixture(autouse=True)
def in_2027(today):
    today("2027-03-01")  # a Monday


def zunyi_programme(session, **overrides):
    authority = make_staff(session, Role.AUTHORITY, jurisdiction="5203")
    spec = ProgrammeSpec.from_input(
        {
            "preset": "guizhou",
            "code": "zunyi-2027",
            "title": "2027年遵义市云使用券",
            "jurisdiction": "5203",
            "starts_on": "2027-03-01",
            "ends_on": "2027-11-30",  # not a calendar year
            "budget_fen": 20_000_000,  # ¥200,000: four caps
            "settlement_dates": ["2027-06-30", "2027-11-20"],
            "overrides": overrides,
        }
    )
    return policies.create_from_preset(session, authority, spec)


def test_a_city_runs_the_guizhou_rules_as_its_own_programme(session, today):
    make_programme(session, 2027)  # the province's programme of 2027 runs beside it
    programme = zunyi_programme(session)
    zunyi = make_org(session, region_code="520302", established_on=dt.date(2020, 5, 1))
    young = make_org(session, region_code="520302", established_on=dt.date(2026, 6, 1))
    guiyang = make_org(session, region_code="520102")

    # 第十四条: established a year or more; registered in the programme's jurisdiction (Zunyi, not Guiyang)
    for org in (young, guiyang):
        with pytest.raises(DomainError) as caught:
            grants.apply(session, member(org), "zunyi-2027", "default", {})
        assert caught.value.code == "not_eligible"

    # 第十六条: the cap, ¥50,000, reserved in full from Zunyi's budget (¥200,000 → ¥150,000)
    application = grants.apply(session, member(zunyi), "zunyi-2027", "default", {})
    assert application.reserved_fen == 5_000_000
    book = grants.application_book(session, application)[0]
    assert ledger.balance(session, AccountKind.BUDGET, book) == 15_000_000
    assert ledger.balance(session, AccountKind.BUDGET, 2027) == 100_000_000  # the province's untouched
    with pytest.raises(DomainError) as caught:
        grants.apply(session, member(zunyi), "zunyi-2027", "default", {})
    assert caught.value.code == "quota_already_applied"  # once per programme

    # Guizhou grants at once (no notice before the grant) and publishes the grant after the fact
    services.review_application(
        session, make_staff(session, Role.OPERATOR, jurisdiction="5203"), application.id, Decision(True)
    )
    assert application.status == ApplicationStatus.GRANTED
    entry = session.scalars(select(NoticeEntry).where(NoticeEntry.subject_id == application.id)).one()
    assert (entry.programme_id, entry.published_on, entry.notice_ends_on) == (
        programme.id,
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 8),  # 5 working days after Monday 1 March
    )

    # 第十六条: vouchers pay 40% of an infrastructure product, 60% of a platform one
    provider = make_org(session, "provider")
    compute = make_product(session, provider, price_fen=10_000_00, layer="infrastructure", category="compute")
    database = make_product(session, provider, price_fen=10_000_00, layer="platform", category="database")
    priced = quote(session, zunyi.id, [(compute.id, 1), (database.id, 1)], use_vouchers=True)
    assert priced.wallet == "zunyi-2027/default"
    assert [line.voucher_fen for o in priced.orders for line in o.lines] == [4_000_00, 6_000_00]

    # valid to the programme's end (30 November), not to 31 December
    wallet = services.wallet(session, zunyi.id, 2027, application)
    assert (wallet.available_fen, wallet.expires_on) == (5_000_000, dt.date(2027, 11, 30))
    today("2027-12-01")
    assert services.expire_past_years(session) == 5_000_000
    assert ledger.balance(session, AccountKind.EXPIRED, book, zunyi.id) == 5_000_000


def test_the_authority_adjusts_the_cap_and_what_was_granted_keeps_its_version(session):
    programme = zunyi_programme(session, **{"schemes.default.cap_fen": 3_000_000})  # ¥30,000
    first = grants.apply(session, member(make_org(session, region_code="520302")), "zunyi-2027", "default", {})
    assert (first.reserved_fen, first.policy_version) == (3_000_000, 1)
    authority = make_staff(session, Role.AUTHORITY, jurisdiction="5203")
    policies.change_policy(session, authority, "zunyi-2027", {"schemes.default.cap_fen": 4_000_000}, "市财政追加")
    second = grants.apply(session, member(make_org(session, region_code="520303")), "zunyi-2027", "default", {})
    assert (second.reserved_fen, second.policy_version, programme.policy_version) == (4_000_000, 2, 2)
    assert first.reserved_fen == 3_000_000  # decided under version 1, it stays
