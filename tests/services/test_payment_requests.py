"""拨付申请: the authority sends the approved claims of a programme's settlement date to the finance
bureau (财政局) of its jurisdiction; the bureau records the transfer (every claim paid, through the one
ledger path of ``claims.payments.pay_claim``) or returns the request with a reason (the claims wait,
approved and detached). The ledger is verified after every test (conftest), and here after each step."""

import datetime as dt

import pytest
from sqlalchemy import select

from claims import deductions, payment_requests, reviews
from claims.commands import DisbursementInput, PaymentRequestInput, TransferInput
from claims.states import ClaimStatus, PaymentRequestStatus
from orgs import sanctions
from orgs.commands import SuspensionInput
from oversight import reports
from shop.audit import AuditEntry
from shop.errors import DomainError
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from tests.helpers import grant_wallet, make_claim, make_order, make_org, make_programme, make_staff, member
from wallet import ledger, ledger_check
from wallet.states import AccountKind

DAY = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    """Two approved claims of 2026-06-30: ¥4,000 + ¥2,000 of vouchers, the second with a ¥500 deduction
    by the authority; a third claim still at the operator (not sent)."""
    programme = make_programme(session, budget_fen=1_000_000_00)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)  # ¥50,000 → the budget holds ¥950,000
    a, b = (
        make_org(session, "provider", name="贵州甲云有限公司"),
        make_org(session, "provider", name="贵州乙云有限公司"),
    )
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    first = make_claim(session, a, [make_order(session, enterprise, a, amount_fen=10_000_00)], tmp_path)
    second_order = make_order(session, enterprise, b, amount_fen=5_000_00)
    second = make_claim(session, b, [second_order], tmp_path)
    waiting = make_claim(session, a, [make_order(session, enterprise, a, amount_fen=2_500_00)], tmp_path)
    for claim in (first, second):
        reviews.review_claim(session, operator, claim.id, Decision(True))
    deductions.deduct_order(session, authority, second.id, second_order.id, 500_00, "验收抽查：部分功能未交付")
    for claim in (first, second):
        reviews.review_claim(session, authority, claim.id, Decision(True))
    return {
        "programme": programme,
        "enterprise": enterprise,
        "authority": authority,
        "operator": operator,
        "finance": make_staff(session, Role.FINANCE, jurisdiction="52"),
        "claims": [first, second],
        "waiting": waiting,
    }


def send(session, world):
    return payment_requests.create_payment_request(
        session, world["authority"], PaymentRequestInput(world["programme"].id, DAY)
    )


def balance(session, kind, enterprise):
    session.rollback()
    return ledger.balance(session, kind, 2026, enterprise.id)


def test_the_authority_sends_the_approved_claims_of_a_date_and_the_total_is_what_they_are_paid(session, world):
    request = send(session, world)
    # ¥4,000 + (¥2,000 − ¥500 deducted) = ¥5,500; the claim still at the operator is not in it
    assert (request.status, request.claim_count, request.total_fen) == (PaymentRequestStatus.SENT, 2, 5_500_00)
    held = payment_requests.claims_of(session, request)
    assert [c.id for c in held] == [c.id for c in world["claims"]]
    assert all(c.status == ClaimStatus.APPROVED for c in held)
    assert world["waiting"].payment_request_id is None
    with pytest.raises(DomainError) as caught:  # one request of a date at the bureau at a time
        send(session, world)
    assert caught.value.code == "invalid_state"
    with pytest.raises(DomainError) as caught:  # nothing else waits on another date
        payment_requests.create_payment_request(
            session, world["authority"], PaymentRequestInput(world["programme"].id, dt.date(2026, 12, 20))
        )
    assert caught.value.code == "invalid_state"
    assert ledger_check.verify(session).ok  # sending moves no money


def test_the_transfer_pays_every_claim_of_the_request_and_the_ledger_balances(session, world):
    request = send(session, world)
    today_claim = world["claims"][0]
    with pytest.raises(DomainError) as caught:  # a claim in a request is paid with the request
        reviews.disburse_claim(session, world["finance"], today_claim.id, DisbursementInput("GZ-1"))
    assert caught.value.code == "invalid_state"
    paid = payment_requests.transfer_payment_request(
        session, world["finance"], request.id, TransferInput("黔财拨〔2026〕18号", dt.date(2026, 3, 2))
    )
    assert (paid.status, paid.paid_reference, paid.paid_on) == (
        PaymentRequestStatus.PAID,
        "黔财拨〔2026〕18号",
        dt.date(2026, 3, 2),
    )
    claims = payment_requests.claims_of(session, paid)
    assert [(c.status, c.disbursed_fen, c.disbursement_reference) for c in claims] == [
        (ClaimStatus.DISBURSED, 4_000_00, "黔财拨〔2026〕18号"),
        (ClaimStatus.DISBURSED, 1_500_00, "黔财拨〔2026〕18号"),
    ]
    enterprise = world["enterprise"]
    assert balance(session, AccountKind.DISBURSED, enterprise) == 5_500_00
    assert balance(session, AccountKind.CLAIMED, enterprise) == 1_000_00  # the claim still at the operator
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == 950_500_00  # the ¥500 deducted came back
    assert ledger_check.verify(session).ok
    assert reports.budget_figures(session, 2026).disbursed_fen == 5_500_00
    with pytest.raises(DomainError) as caught:  # paid once
        payment_requests.transfer_payment_request(session, world["finance"], request.id, TransferInput("X"))
    assert caught.value.code == "invalid_state"
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "payment_request", AuditEntry.subject_id == request.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["send_payment_request", "transfer_payment_request"]


def test_a_returned_request_puts_its_claims_back_approved_to_be_sent_again(session, world):
    request = send(session, world)
    with pytest.raises(DomainError) as caught:  # a reason is required
        ReasonInput.from_input({})
    assert "reason" in caught.value.errors
    returned = payment_requests.return_payment_request(
        session, world["finance"], request.id, ReasonInput("收款账户信息与营业执照不符，请核实")
    )
    assert (returned.status, returned.returned_reason) == (
        PaymentRequestStatus.RETURNED,
        "收款账户信息与营业执照不符，请核实",
    )
    assert payment_requests.claims_of(session, returned) == []
    # what it held is still shown with it (from its audit entry)
    assert [c.id for c in payment_requests.claims_of_request(session, returned)] == [c.id for c in world["claims"]]
    for claim in world["claims"]:
        session.refresh(claim)
        assert (claim.status, claim.payment_request_id) == (ClaimStatus.APPROVED, None)
    assert balance(session, AccountKind.CLAIMED, world["enterprise"]) == 6_000_00 + 1_000_00
    assert ledger_check.verify(session).ok
    with pytest.raises(DomainError):  # returned is final
        payment_requests.transfer_payment_request(session, world["finance"], request.id, TransferInput("X"))
    again = send(session, world)  # the authority sends them anew
    assert (again.id != request.id, again.claim_count, again.total_fen) == (True, 2, 5_500_00)
    claim_actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "claim", AuditEntry.subject_id == world["claims"][0].id)
        .order_by(AuditEntry.id)
    ).all()
    assert claim_actions[-3:] == ["request_payment", "payment_request_returned", "request_payment"]


def test_the_day_paid_is_neither_in_the_future_nor_before_the_request_was_sent(session, world, today):
    today("2026-03-05")
    request = send(session, world)
    today("2026-03-09")
    for day in (dt.date(2026, 3, 4), dt.date(2026, 3, 10)):
        with pytest.raises(DomainError) as caught:
            payment_requests.transfer_payment_request(session, world["finance"], request.id, TransferInput("X", day))
        assert (caught.value.status, list(caught.value.errors)) == (422, ["paid_on"])
    paid = payment_requests.transfer_payment_request(session, world["finance"], request.id, TransferInput("X"))
    assert paid.paid_on == dt.date(2026, 3, 9)  # today when not given
    assert payment_requests.claims_of(session, paid)[0].disbursed_on == dt.date(2026, 3, 9)


def test_only_the_finance_bureau_of_the_programmes_jurisdiction_pays_or_returns(session, world):
    request = send(session, world)
    for who in (world["authority"], world["operator"], member(world["enterprise"])):
        with pytest.raises(DomainError) as caught:
            payment_requests.transfer_payment_request(session, who, request.id, TransferInput("X"))
        assert caught.value.code == "forbidden"
    # the authority no longer records a payment by itself
    with pytest.raises(DomainError) as caught:
        reviews.disburse_claim(session, world["authority"], world["claims"][0].id, DisbursementInput("X"))
    assert caught.value.code == "forbidden" and "finance bureau" in str(caught.value.detail)
    guiyang = make_staff(session, Role.FINANCE, jurisdiction="5201")  # a city's bureau: not the province's programme
    for use_case, command in (
        (payment_requests.transfer_payment_request, TransferInput("X")),
        (payment_requests.return_payment_request, ReasonInput("x")),
    ):
        with pytest.raises(DomainError) as caught:
            use_case(session, guiyang, request.id, command)
        assert caught.value.code == "not_found"
    assert payment_requests.list_payment_requests(session, guiyang, None, page=1, per_page=20).total == 0
    assert payment_requests.list_payment_requests(session, world["finance"], None, page=1, per_page=20).total == 1
    with pytest.raises(DomainError) as caught:  # nor does a city authority send the province's claims
        payment_requests.create_payment_request(
            session,
            make_staff(session, Role.AUTHORITY, jurisdiction="5201"),
            PaymentRequestInput(world["programme"].id, DAY),
        )
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError) as caught:  # the finance bureau does not send
        payment_requests.create_payment_request(
            session, world["finance"], PaymentRequestInput(world["programme"].id, DAY)
        )
    assert caught.value.code == "forbidden"


def test_a_claim_in_a_request_is_rejected_only_once_the_request_is_returned(session, world):

    request = send(session, world)
    claim = world["claims"][0]
    with pytest.raises(DomainError) as caught:
        reviews.review_claim(session, world["authority"], claim.id, Decision(False, "违规"))
    assert caught.value.code == "invalid_state"
    payment_requests.return_payment_request(session, world["finance"], request.id, ReasonInput("请先处理"))
    with pytest.raises(DomainError) as caught:  # approved and not held: it waits for its payment
        reviews.review_claim(session, world["authority"], claim.id, Decision(False, "违规"))
    assert "held" in str(caught.value.detail)


def test_a_single_claim_in_no_request_is_paid_by_the_finance_bureau(session, world):
    paid = reviews.disburse_claim(session, world["finance"], world["claims"][1].id, DisbursementInput("GZ-9"))
    assert (paid.status, paid.disbursed_fen) == (ClaimStatus.DISBURSED, 1_500_00)
    request = send(session, world)  # the other one still goes in a request
    assert (request.claim_count, request.total_fen) == (1, 4_000_00)
    assert ledger_check.verify(session).ok


def test_a_held_claim_waits_outside_the_request_and_the_authority_is_offered_only_the_rest(session, world):
    # the second claim's provider is suspended: its claim is held (暂缓) and is not sent for payment
    held = world["claims"][1]
    sanctions.suspend_organisation(session, world["operator"], held.provider_id, SuspensionInput("核查中"))
    offered = payment_requests.sendable_dates(session, world["authority"])
    assert [(p.id, day, count, total) for p, day, count, total in offered] == [
        (world["programme"].id, DAY, 1, 4_000_00)
    ]
    request = send(session, world)
    assert (request.claim_count, request.total_fen) == (1, 4_000_00)
    assert session.get(type(held), held.id).payment_request_id is None
