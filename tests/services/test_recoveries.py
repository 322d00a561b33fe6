"""追回 (Liuzhou 第二十三条, Baiyun 第二十条): staff recover part of a paid claim; the provider repays
part of it and the rest is set off against its next payment. The ledger balances after each step
(``ledger-verify``) and the report shows what is being recovered and what came back (both databases)."""

import pytest

from claims import recoveries, reviews
from claims.commands import DisbursementInput, RecoveryInput, RepaymentInput
from claims.states import RecoveryStatus
from oversight import reports
from shop.audit import history
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import grant_wallet, make_claim, make_order, make_org, make_programme, make_staff, member
from wallet import ledger, ledger_check
from wallet.states import AccountKind


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def _paid(session, claim, operator, authority, reference):
    reviews.review_claim(session, operator, claim.id, Decision(True))
    reviews.review_claim(session, authority, claim.id, Decision(True))
    return reviews.disburse_claim(
        session, make_staff(session, Role.FINANCE), claim.id, DisbursementInput.from_input({"reference": reference})
    )


def _balances(session, enterprise):
    return {
        kind: ledger.balance(session, kind, 2026, enterprise.id)
        for kind in (AccountKind.DISBURSED, AccountKind.RECOVERING)
    } | {AccountKind.BUDGET: ledger.balance(session, AccountKind.BUDGET, 2026)}


def _verified(session):
    report = ledger_check.verify(session)
    assert report.ok, report.differences
    assert any(code.startswith("recovering:") for code in report.compared)


def test_a_recovery_is_repaid_in_part_and_the_rest_set_off_against_the_next_payment(session, tmp_path):
    make_programme(session, budget_fen=1_000_000_00)  # ¥1,000,000
    enterprise = make_org(session)
    grant_wallet(session, enterprise)  # ¥50,000 granted → the budget holds ¥950,000
    provider = make_org(session, "provider")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    # a ¥10,000 order: ¥4,000 of vouchers (40%), claimed and paid
    first = _paid(
        session,
        make_claim(session, provider, [make_order(session, enterprise, provider, amount_fen=10_000_00)], tmp_path),
        operator,
        authority,
        "GZ-2026-001",
    )
    assert first.disbursed_fen == 4_000_00

    # the provider faked the delivery of part of it: the authority recovers ¥3,000
    recovery = recoveries.open_recovery(
        session, authority, first.id, RecoveryInput.from_input({"amount_fen": 3_000_00, "reason": "伪造交付记录"})
    )
    assert (recovery.status, recovery.owed_fen, recovery.organisation_id) == (
        RecoveryStatus.OPEN,
        3_000_00,
        provider.id,
    )
    assert _balances(session, enterprise) == {
        AccountKind.DISBURSED: 1_000_00,
        AccountKind.RECOVERING: 3_000_00,
        AccountKind.BUDGET: 950_000_00,
    }
    _verified(session)
    # never more than what the claim paid less what is under recovery: ¥1,000 is left
    with pytest.raises(DomainError) as caught:
        recoveries.open_recovery(
            session, operator, first.id, RecoveryInput.from_input({"amount_fen": 1_000_01, "reason": "再追"})
        )
    assert "amount_fen" in caught.value.errors

    # it repays ¥1,000: back in the budget (¥951,000), ¥2,000 still owed
    recoveries.record_repayment(
        session,
        operator,
        recovery.id,
        RepaymentInput.from_input({"amount_fen": 1_000_00, "reference": "退款-001", "paid_on": "2026-03-02"}),
    )
    assert (recovery.repaid_fen, recovery.owed_fen, recovery.status) == (1_000_00, 2_000_00, RecoveryStatus.OPEN)
    assert _balances(session, enterprise)[AccountKind.RECOVERING] == 2_000_00
    assert _balances(session, enterprise)[AccountKind.BUDGET] == 951_000_00
    _verified(session)
    with pytest.raises(DomainError) as caught:  # not more than it owes
        recoveries.record_repayment(
            session,
            operator,
            recovery.id,
            RepaymentInput.from_input({"amount_fen": 2_000_01, "reference": "X", "paid_on": "2026-03-02"}),
        )
    assert "amount_fen" in caught.value.errors

    # its next claim, a ¥15,000 order (¥6,000 of vouchers), is paid: the ¥2,000 it owes are set off,
    # ¥4,000 are transferred; the recovery is settled and the budget is ¥953,000
    second = _paid(
        session,
        make_claim(session, provider, [make_order(session, enterprise, provider, amount_fen=15_000_00)], tmp_path),
        operator,
        authority,
        "GZ-2026-002",
    )
    assert (second.disbursed_fen, second.set_off_fen, second.transferred_fen) == (6_000_00, 2_000_00, 4_000_00)
    session.refresh(recovery)
    assert (recovery.status, recovery.set_off_fen, recovery.owed_fen) == (RecoveryStatus.SETTLED, 2_000_00, 0)
    assert [s.claim_id for s in recoveries.set_offs_of_claim(session, second.id)] == [second.id]
    assert _balances(session, enterprise) == {
        AccountKind.DISBURSED: 1_000_00 + 6_000_00,
        AccountKind.RECOVERING: 0,
        AccountKind.BUDGET: 953_000_00,
    }
    _verified(session)
    # the trail of each step
    actions = [e.action for e in history(session, "recovery", recovery.id)]
    assert actions == ["open_recovery", "record_repayment", "set_off_recovery", "settle_recovery"]
    assert "set_off_claim" in [e.action for e in history(session, "claim", second.id)]
    assert "open_recovery" in [e.action for e in history(session, "claim", first.id)]

    # the report re-derives it from the ledger: ¥7,000 disbursed, nothing being recovered, ¥3,000 back
    figures = reports.budget_figures(session, 2026)
    assert (figures.disbursed_fen, figures.recovering_fen, figures.recovered_fen) == (7_000_00, 0, 3_000_00)
    assert figures.remaining_fen == 953_000_00
    assert figures.granted_fen == 50_000_00 - 3_000_00  # what left the budget for good


def test_only_a_paid_claim_is_recovered_and_only_by_staff_of_its_jurisdiction(session, tmp_path):
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    claim = make_claim(session, provider, [make_order(session, enterprise, provider)], tmp_path)
    operator = make_staff(session, Role.OPERATOR)
    command = RecoveryInput.from_input({"amount_fen": 100_00, "reason": "虚假发票"})
    with pytest.raises(DomainError) as caught:  # submitted, not paid
        recoveries.open_recovery(session, operator, claim.id, command)
    assert caught.value.code == "invalid_state"
    _paid(session, claim, operator, make_staff(session, Role.AUTHORITY), "GZ-1")
    with pytest.raises(DomainError) as caught:  # the provider itself, or an enterprise
        recoveries.open_recovery(session, member(provider), claim.id, command)
    assert caught.value.code == "forbidden"
    with pytest.raises(DomainError) as caught:  # Guangzhou's staff: a Guizhou programme's claim is none of theirs
        recoveries.open_recovery(session, make_staff(session, Role.AUTHORITY, jurisdiction="4401"), claim.id, command)
    assert caught.value.code == "not_found"
    recovery = recoveries.open_recovery(session, operator, claim.id, command)
    with pytest.raises(DomainError) as caught:
        recoveries.staff_recovery(session, make_staff(session, Role.OPERATOR, jurisdiction="5201"), recovery.id)
    assert caught.value.code == "not_found"
    assert (
        recoveries.list_recoveries(session, make_staff(session, Role.OPERATOR, jurisdiction="4401"), 1, 20).total == 0
    )
    assert recoveries.list_recoveries(session, operator, 1, 20).total == 1
    _verified(session)


def test_a_recovery_for_fraud_bans_the_provider_for_the_programmes_term(session, tmp_path):
    make_programme(session)  # Guizhou's rules give no term: the ban lasts until it is taken off
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    claim = make_claim(session, provider, [make_order(session, enterprise, provider)], tmp_path)
    authority = make_staff(session, Role.AUTHORITY)
    _paid(session, claim, make_staff(session, Role.OPERATOR), authority, "GZ-1")
    recovery = recoveries.open_recovery(
        session, authority, claim.id, RecoveryInput.from_input({"amount_fen": 4_000_00, "reason": "骗取", "ban": True})
    )
    assert recovery.banned
    from orgs.blacklist import negative_list
    from orgs.sanctions import sanction_of

    assert sanction_of(session, provider.id).kind == "blacklisted"
    entries = negative_list(session, 1, 20).items
    assert [(e.uscc, e.ends_on) for e in entries] == [(provider.uscc, None)]
    _verified(session)


def test_a_recovery_larger_than_one_wallet_is_taken_from_the_claims_wallets_in_order(session, tmp_path):
    make_programme(session)
    first, second = make_org(session), make_org(session)
    grant_wallet(session, first)
    grant_wallet(session, second)
    provider = make_org(session, "provider")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    # ¥4,000 of vouchers from the first enterprise, ¥2,000 from the second: ¥6,000 paid
    orders = [
        make_order(session, first, provider, amount_fen=10_000_00),
        make_order(session, second, provider, amount_fen=5_000_00),
    ]
    claim = _paid(session, make_claim(session, provider, orders, tmp_path), operator, authority, "GZ-3")
    recovery = recoveries.open_recovery(
        session, operator, claim.id, RecoveryInput.from_input({"amount_fen": 5_000_00, "reason": "虚构项目"})
    )
    # ¥4,000 from the first wallet, the other ¥1,000 from the second
    assert [(p.enterprise_id, p.amount_fen) for p in recovery.parts] == [(first.id, 4_000_00), (second.id, 1_000_00)]
    assert ledger.balance(session, AccountKind.RECOVERING, 2026, first.id) == 4_000_00
    assert ledger.balance(session, AccountKind.DISBURSED, 2026, second.id) == 1_000_00
    _verified(session)
    # ¥4,500 repaid: the first wallet's part is settled, ¥500 of the second's
    recoveries.record_repayment(
        session,
        authority,
        recovery.id,
        RepaymentInput.from_input({"amount_fen": 4_500_00, "reference": "R-3", "paid_on": "2026-03-02"}),
    )
    assert [p.owed_fen for p in recovery.parts] == [0, 500_00]
    _verified(session)
    # a second recovery of the same claim takes what is left: ¥1,000 of the second wallet
    with pytest.raises(DomainError):
        recoveries.open_recovery(
            session, operator, claim.id, RecoveryInput.from_input({"amount_fen": 1_000_01, "reason": "再追"})
        )
    again = recoveries.open_recovery(
        session, operator, claim.id, RecoveryInput.from_input({"amount_fen": 1_000_00, "reason": "再追"})
    )
    assert [(p.enterprise_id, p.amount_fen) for p in again.parts] == [(second.id, 1_000_00)]
    assert recoveries.owed_by(session, provider.id) == 500_00 + 1_000_00
    _verified(session)
