"""扣减 (Linyi 第十三条, Liuzhou 第二十二条): a reviewer pays an order of a claim less than its vouchers,
with a reason the provider reads; the claim is paid the rest, and what is deducted goes back to the
programme's budget in the ledger (both databases; the ledger is verified after every test)."""

import pytest

from claims import deductions, reviews
from claims.commands import DisbursementInput
from oversight import reports
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import grant_wallet, make_claim, make_order, make_org, make_programme, make_staff, member
from wallet import ledger, ledger_check
from wallet.states import AccountKind


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def test_a_deduction_pays_the_order_less_and_returns_the_rest_to_the_budget(session, tmp_path):
    make_programme(session, budget_fen=1_000_000_00)  # ¥1,000,000
    enterprise = make_org(session)
    grant_wallet(session, enterprise)  # ¥50,000 → the budget holds ¥950,000
    provider = make_org(session, "provider")
    # two orders of ¥10,000 and ¥5,000: ¥4,000 and ¥2,000 of vouchers (40%)
    first = make_order(session, enterprise, provider, amount_fen=10_000_00)
    second = make_order(session, enterprise, provider, amount_fen=5_000_00)
    claim = make_claim(session, provider, [first, second], tmp_path)
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    finance = make_staff(session, Role.FINANCE)  # the finance bureau records the payment

    with pytest.raises(DomainError) as caught:  # a deduction needs a reason
        deductions.deduct_order(session, operator, claim.id, first.id, 1_000_00, None)
    assert "reason" in caught.value.errors
    with pytest.raises(DomainError) as caught:  # never more than the order's vouchers
        deductions.deduct_order(session, operator, claim.id, first.id, 4_000_01, "超出")
    assert "amount_fen" in caught.value.errors
    with pytest.raises(DomainError):  # the authority deducts at its own stage, not the operator's
        deductions.deduct_order(session, authority, claim.id, first.id, 1_000_00, "质量问题")
    with pytest.raises(DomainError):  # nor the provider
        deductions.deduct_order(session, member(provider), claim.id, first.id, 1_000_00, "质量问题")

    # the operator finds a quality problem in the first order: ¥1,500 of its ¥4,000 is not paid
    deductions.deduct_order(session, operator, claim.id, first.id, 1_500_00, "服务中断三天，按比例扣减")
    assert (claim.total_fen, claim.deducted_fen, claim.payable_fen) == (6_000_00, 1_500_00, 4_500_00)
    reviews.review_claim(session, operator, claim.id, Decision(True))
    # the authority's experts deduct another ¥500 from the second order
    deductions.deduct_order(session, authority, claim.id, second.id, 500_00, "验收抽查：部分功能未交付")
    reviews.review_claim(session, authority, claim.id, Decision(True))
    with pytest.raises(DomainError) as caught:  # the payment is the approved total less the deductions
        reviews.disburse_claim(
            session, finance, claim.id, DisbursementInput.from_input({"reference": "X", "amount_fen": 6_000_00})
        )
    assert caught.value.code == "validation_error"
    paid = reviews.disburse_claim(
        session, finance, claim.id, DisbursementInput.from_input({"reference": "GZ-2026-007", "amount_fen": 4_000_00})
    )
    # ¥6,000 claimed − ¥1,500 − ¥500 = ¥4,000 paid; ¥2,000 back in the budget (¥950,000 → ¥952,000)
    assert paid.disbursed_fen == 4_000_00
    assert ledger.balance(session, AccountKind.DISBURSED, 2026, enterprise.id) == 4_000_00
    assert ledger.balance(session, AccountKind.CLAIMED, 2026, enterprise.id) == 0
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 952_000_00
    assert ledger_check.verify(session).ok
    # the provider reads why
    reasons = {i.order_id: (i.deducted_fen, i.deduction_reason) for i in paid.live_items}
    assert reasons == {
        first.id: (1_500_00, "服务中断三天，按比例扣减"),
        second.id: (500_00, "验收抽查：部分功能未交付"),
    }
    # and the report re-derives it from the ledger: disbursed ¥4,000, remaining ¥952,000
    figures = reports.budget_figures(session, 2026)
    assert (figures.disbursed_fen, figures.remaining_fen) == (4_000_00, 952_000_00)
    assert figures.granted_fen == 50_000_00 - 2_000_00  # what left the budget for good


def test_a_deduction_is_taken_back_with_zero_and_a_rejected_claim_pays_nothing(session, tmp_path):
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    order = make_order(session, enterprise, provider, amount_fen=10_000_00)
    claim = make_claim(session, provider, [order], tmp_path)
    operator = make_staff(session, Role.OPERATOR)
    deductions.deduct_order(session, operator, claim.id, order.id, 1_000_00, "质量问题")
    deductions.deduct_order(session, operator, claim.id, order.id, 0, None)
    assert (claim.deducted_fen, claim.live_items[0].deduction_reason) == (0, None)
    deductions.deduct_order(session, operator, claim.id, order.id, 1_000_00, "质量问题")
    reviews.review_claim(session, operator, claim.id, Decision(False, "材料不全"))
    # rejected: the order's ¥4,000 go back to "in orders", claimable again; nothing was deducted from the ledger
    assert ledger.balance(session, AccountKind.IN_ORDERS, 2026, enterprise.id) == 4_000_00
    assert ledger_check.verify(session).ok
