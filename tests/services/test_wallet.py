"""Programme, quota applications and the voucher ledger, on a real session (both databases)."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from orgs.states import OrgStatus
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import grant_wallet, make_org, make_programme, make_staff, member
from wallet import ledger, ledger_check, programmes, services
from wallet.commands import ProgrammeInput
from wallet.models import LedgerEntry, LedgerPosting
from wallet.states import AccountKind, ApplicationStatus

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def test_a_programme_funds_its_budget_from_the_public_purse(session):
    programme = make_programme(session, budget_fen=10 * CAP)
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 10 * CAP
    assert ledger.balance(session, AccountKind.SOURCE, 2026) == -10 * CAP
    figures = programmes.programme_figures(session, programme)
    assert (figures.budget_fen, figures.granted_fen, figures.remaining_fen) == (10 * CAP, 0, 10 * CAP)
    assert [d.day for d in programme.settlement_dates] == [dt.date(2026, 6, 30), dt.date(2026, 12, 20)]


def test_a_programme_needs_sane_figures(session):
    authority = make_staff(session, Role.AUTHORITY)
    with pytest.raises(DomainError) as caught:
        programmes.create_programme(
            session,
            authority,
            ProgrammeInput.from_input(
                {
                    "year": 2026,
                    "budget_fen": -1,
                    "enterprise_cap_fen": 0,
                    "ratios": {"infrastructure": 140, "platform": 60},
                    "settlement_dates": ["2027-01-01"],
                }
            ),
        )
    assert {
        "budget_fen",
        "enterprise_cap_fen",
        "ratios.infrastructure",
        "ratios.application",
        "settlement_dates",
    } <= set(caught.value.errors)
    make_programme(session)
    with pytest.raises(DomainError) as caught:
        make_programme(session)
    assert "year" in caught.value.errors


def test_an_application_reserves_the_cap_and_the_grant_fills_the_wallet(session):
    make_programme(session, budget_fen=10 * CAP)
    org = make_org(session)
    application = services.apply_for_quota(session, member(org), 2026)
    assert (application.status, application.reserved_fen) == (ApplicationStatus.PENDING, CAP)
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 9 * CAP
    services.review_application(session, make_staff(session, Role.OPERATOR), application.id, Decision(True))
    wallet = services.wallet(session, org.id, 2026)
    assert (wallet.granted_fen, wallet.available_fen, wallet.expires_on) == (CAP, CAP, dt.date(2026, 12, 31))


def test_a_rejection_gives_the_reservation_back_to_the_budget(session):
    make_programme(session, budget_fen=10 * CAP)
    org = make_org(session)
    application = services.apply_for_quota(session, member(org), 2026)
    with pytest.raises(DomainError):  # a rejection says why
        Decision.from_input({"decision": "reject", "reason": ""})
    services.review_application(
        session, make_staff(session, Role.OPERATOR), application.id, Decision(False, "材料不实")
    )
    assert application.status == ApplicationStatus.REJECTED and application.reason == "材料不实"
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 10 * CAP
    assert services.wallet(session, org.id, 2026).available_fen == 0


def test_the_last_applicant_gets_what_is_left_and_then_the_budget_is_exhausted(session):
    make_programme(session, budget_fen=2 * CAP + 12_345)
    orgs = [make_org(session) for _ in range(4)]
    reserved = [services.apply_for_quota(session, member(o), 2026).reserved_fen for o in orgs[:3]]
    assert reserved == [CAP, CAP, 12_345]
    with pytest.raises(DomainError) as caught:
        services.apply_for_quota(session, member(orgs[3]), 2026)
    assert caught.value.code == "budget_exhausted"


def test_one_application_per_enterprise_per_year(session):
    make_programme(session)
    org = make_org(session)
    services.apply_for_quota(session, member(org), 2026)
    with pytest.raises(DomainError) as caught:
        services.apply_for_quota(session, member(org), 2026)
    assert caught.value.code == "quota_already_applied"


@pytest.mark.parametrize(
    "make, words",
    [
        (dict(established_on=dt.date(2025, 6, 1)), "one year"),
        (dict(status=OrgStatus.UNDER_REVIEW), "certified"),
        (dict(region_code="110101"), "province"),
    ],
)
def test_an_ineligible_enterprise_is_told_which_condition_failed(session, make, words):
    make_programme(session)
    org = make_org(session, **make)
    with pytest.raises(DomainError) as caught:
        services.apply_for_quota(session, member(org), 2026)
    assert caught.value.code == "not_eligible" and words in str(caught.value.detail)


def test_a_blacklisted_enterprise_and_one_outside_the_window_are_not_eligible(session, today):
    make_programme(session, opens="2026-04-01", closes="2026-05-31")
    org = make_org(session)
    with pytest.raises(DomainError) as caught:
        services.apply_for_quota(session, member(org), 2026)
    assert "open on 2026-04-01" in str(caught.value.detail)
    today("2026-04-15")
    from orgs.blacklist import add_to_blacklist
    from orgs.commands import BlacklistInput

    add_to_blacklist(
        session, make_staff(session, Role.OPERATOR), BlacklistInput.from_input({"uscc": org.uscc, "reason": "虚假申报"})
    )
    with pytest.raises(DomainError) as caught:
        services.apply_for_quota(session, member(org), 2026)
    assert "blacklist" in str(caught.value.detail)


def test_established_exactly_a_year_ago_is_eligible(session, today):
    today("2026-03-02")
    make_programme(session)
    org = make_org(session, established_on=dt.date(2025, 3, 2))
    assert services.apply_for_quota(session, member(org), 2026).reserved_fen == CAP


def test_the_budget_cannot_go_below_what_applications_hold(session):
    make_programme(session, budget_fen=3 * CAP)
    grant_wallet(session, make_org(session))
    services.apply_for_quota(session, member(make_org(session)), 2026)
    authority = make_staff(session, Role.AUTHORITY)
    with pytest.raises(DomainError) as caught:
        programmes.update_programme(
            session, authority, 2026, ProgrammeInput.from_input({"budget_fen": 2 * CAP - 1}, year=2026)
        )
    assert "budget_fen" in caught.value.errors and "¥100,000.00" in str(caught.value.detail)
    programme = programmes.update_programme(
        session, authority, 2026, ProgrammeInput.from_input({"budget_fen": 2 * CAP}, year=2026)
    )
    assert programme.budget_fen == 2 * CAP and ledger.balance(session, AccountKind.BUDGET, 2026) == 0
    programmes.update_programme(
        session,
        authority,
        2026,
        ProgrammeInput.from_input({"budget_fen": 5 * CAP, "ratios": {"platform": 50}}, year=2026),
    )
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 3 * CAP
    assert programmes.get_programme(session, 2026).ratio_platform == 50


def test_a_past_settlement_date_cannot_be_removed_and_a_claims_guard_is_honoured(session, today):
    make_programme(session, settlement_dates=("2026-03-31", "2026-06-30"))
    authority = make_staff(session, Role.AUTHORITY)
    today("2026-04-10")
    with pytest.raises(DomainError) as caught:
        programmes.update_programme(
            session, authority, 2026, ProgrammeInput.from_input({"settlement_dates": ["2026-06-30"]}, year=2026)
        )
    assert "2026-03-31" in str(caught.value.detail)
    programmes.SETTLEMENT_DATE_GUARDS.append(lambda s, year, removed: [d for d in removed if d == dt.date(2026, 6, 30)])
    try:
        with pytest.raises(DomainError) as caught:
            programmes.update_programme(
                session,
                authority,
                2026,
                ProgrammeInput.from_input({"settlement_dates": ["2026-03-31", "2026-09-30"]}, year=2026),
            )
        assert "Claims wait" in str(caught.value.detail)
    finally:
        programmes.SETTLEMENT_DATE_GUARDS.pop()
    programme = programmes.update_programme(
        session,
        authority,
        2026,
        ProgrammeInput.from_input({"settlement_dates": ["2026-03-31", "2026-06-30", "2026-09-30"]}, year=2026),
    )
    assert [d.day.isoformat() for d in programme.settlement_dates] == ["2026-03-31", "2026-06-30", "2026-09-30"]


def test_the_ratios_of_the_year_reach_the_catalogue_through_the_hook(session):
    from shop.hooks import layer_ratios

    assert layer_ratios(session, 2026) == {"infrastructure": 40, "platform": 60, "application": 60}
    make_programme(session, ratios=(30, 50, 50))
    assert layer_ratios(session, 2026) == {"infrastructure": 30, "platform": 50, "application": 50}


class TestLedger:
    def test_every_entry_has_two_postings_summing_to_zero(self, session):
        make_programme(session)
        grant_wallet(session, make_org(session))
        sums = session.execute(
            select(LedgerPosting.entry_id, func.sum(LedgerPosting.amount_fen), func.count()).group_by(
                LedgerPosting.entry_id
            )
        ).all()
        assert len(sums) == 3 and all(total == 0 and n == 2 for _, total, n in sums)
        assert [e.kind for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))] == [
            "fund_programme",
            "reserve_quota",
            "grant_quota",
        ]

    @pytest.mark.ledger_alone
    def test_a_wallet_never_goes_negative(self, session):
        make_programme(session)
        org = make_org(session)
        grant_wallet(session, org)
        ledger.hold_vouchers(session, 2026, org.id, CAP, ref=("order", 1), actor_id=None)
        session.commit()
        with pytest.raises(ledger.InsufficientVouchers):
            ledger.hold_vouchers(session, 2026, org.id, 1, ref=("order", 2), actor_id=None)
        session.rollback()
        assert services.wallet(session, org.id, 2026).available_fen == 0

    @pytest.mark.ledger_alone
    def test_orders_and_claims_move_vouchers_between_their_accounts(self, session):
        make_programme(session)
        org = make_org(session)
        grant_wallet(session, org)
        ledger.hold_vouchers(session, 2026, org.id, 30_000, ref=("order", 1), actor_id=None)
        ledger.release_vouchers(session, 2026, org.id, 10_000, ref=("order", 1), actor_id=None)
        ledger.claim_vouchers(session, 2026, org.id, 20_000, ref=("claim", 1), actor_id=None)
        ledger.unclaim_vouchers(session, 2026, org.id, 5_000, ref=("claim", 1), actor_id=None)
        ledger.disburse_vouchers(session, 2026, org.id, 15_000, ref=("claim", 1), actor_id=None)
        session.commit()
        wallet = services.wallet(session, org.id, 2026)
        assert (wallet.available_fen, wallet.in_orders_fen, wallet.claimed_fen, wallet.disbursed_fen) == (
            CAP - 20_000,
            5_000,
            0,
            15_000,
        )

    def test_the_database_refuses_to_change_ledger_rows(self, session):
        make_programme(session)
        for statement in ("UPDATE ledger_postings SET amount_fen = 1", "DELETE FROM ledger_entries"):
            with pytest.raises(DBAPIError):
                session.execute(text(statement))
            session.rollback()

    def test_verification_finds_a_balance_that_does_not_match_its_postings(self, session):
        make_programme(session)
        session.execute(text("UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE code = 'budget:2026'"))
        session.commit()
        report = ledger_check.verify(session)
        assert not report.ok and report.mismatched_accounts[0][0] == "budget:2026"
        session.execute(text("UPDATE ledger_accounts SET balance_fen = balance_fen - 1 WHERE code = 'budget:2026'"))
        session.commit()


class TestYearEnd:
    @pytest.mark.ledger_alone
    def test_unused_vouchers_expire_after_the_year_and_nothing_moves_twice(self, session, today):
        make_programme(session)
        org = make_org(session)
        grant_wallet(session, org)
        ledger.hold_vouchers(session, 2026, org.id, 10_000, ref=("order", 1), actor_id=None)
        session.commit()
        today("2026-12-31")
        assert services.expire_past_years(session) == 0
        today("2027-01-01")
        assert services.expire_past_years(session) == CAP - 10_000
        assert services.expire_past_years(session) == 0
        wallet = services.wallet(session, org.id, 2026)
        assert (wallet.available_fen, wallet.expired_fen, wallet.in_orders_fen) == (0, CAP - 10_000, 10_000)

    def test_vouchers_returned_from_an_order_of_an_ended_year_go_to_expired(self, session, today):
        make_programme(session)
        org = make_org(session)
        grant_wallet(session, org)
        ledger.hold_vouchers(session, 2026, org.id, 10_000, ref=("order", 1), actor_id=None)
        session.commit()
        today("2027-02-01")
        ledger.release_vouchers(session, 2026, org.id, 10_000, ref=("order", 1), actor_id=None)
        session.commit()
        wallet = services.wallet(session, org.id, 2026)
        assert (wallet.available_fen, wallet.expired_fen) == (CAP - 10_000, 10_000)  # not spendable again

    def test_the_first_request_of_a_new_year_expires_the_old_one(self, session, client, today):
        make_programme(session)
        org = make_org(session)
        grant_wallet(session, org)
        today("2027-01-03")
        assert client.get("/").status_code == 200
        session.rollback()
        session.expire_all()
        assert services.wallet(session, org.id, 2026).expired_fen == CAP


@pytest.mark.ledger_alone
def test_the_wallet_lines_carry_a_running_balance(session):
    make_programme(session)
    org = make_org(session)
    grant_wallet(session, org)
    ledger.hold_vouchers(session, 2026, org.id, 12_000, ref=("order", 7), actor_id=None)
    ledger.release_vouchers(session, 2026, org.id, 2_000, ref=("order", 7), actor_id=None)
    session.commit()
    lines = services.wallet_lines(session, org.id, 2026, 1, 10).items
    assert [(line.kind, line.amount_fen, line.balance_fen) for line in lines] == [
        ("release_order", 2_000, CAP - 10_000),
        ("hold_for_order", -12_000, CAP - 12_000),
        ("grant_quota", CAP, CAP),
    ]
