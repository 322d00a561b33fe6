"""Redemption claims: claimable orders, drafts with evidence, settlement dates and roll-over, the two
reviews, queries due in working days, disbursement, and the ledger at every step."""

import datetime as dt

import pytest
from sqlalchemy import select

from claims import claimable, documents, reviews
from claims import queries as claim_queries
from claims import services as claims
from claims.commands import AnswerInput, ClaimableFilter, ClaimInput, DisbursementInput, DocumentInput, QueryInput
from claims.models import ClaimDocument
from claims.states import ClaimStatus
from orders import services as order_services
from orders.states import OrderStatus
from orgs.states import OrgStatus
from shop.audit import history
from shop.errors import DomainError
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from tests.helpers import (
    JPEG,
    PDF,
    PNG,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_programme,
    make_staff,
    member,
    upload,
)
from wallet import ledger
from wallet import programmes as wallet_programmes
from wallet.commands import ProgrammeInput
from wallet.states import AccountKind


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    """A programme (settlement dates 30 June and 20 December), two enterprises with wallets, a
    provider with three confirmed orders, its competitor with one."""
    make_programme(session)
    e1, e2 = make_org(session, name="贵阳甲企业有限公司"), make_org(session, name="遵义乙企业有限公司")
    grant_wallet(session, e1)
    grant_wallet(session, e2)
    provider, other = make_org(session, "provider"), make_org(session, "provider")
    orders = [
        make_order(session, e1, provider, amount_fen=10_000_00),  # 4,000 in vouchers
        make_order(session, e2, provider, amount_fen=5_000_00),  # 2,000
        make_order(session, e1, provider, amount_fen=2_500_00),
    ]  # 1,000
    return {
        "e1": e1,
        "e2": e2,
        "provider": provider,
        "seller": member(provider),
        "other": other,
        "orders": orders,
        "foreign": make_order(session, e2, other, amount_fen=1_000_00),
        "operator": make_staff(session, Role.OPERATOR),
        "authority": make_staff(session, Role.AUTHORITY),
        "finance": make_staff(session, Role.FINANCE),
        "uploads": tmp_path / "uploads",
    }


def balances(session, org, year=2026):
    session.rollback()
    return {
        kind.value: ledger.balance(session, kind, year, org.id)
        for kind in (AccountKind.AVAILABLE, AccountKind.IN_ORDERS, AccountKind.CLAIMED, AccountKind.DISBURSED)
    }


def add_documents(session, world, claim, kinds=("invoice", "contract", "transfer", "usage"), number="52001234"):
    for kind in kinds:
        data = {"kind": kind}
        if kind == "invoice":
            data.update(invoice_number=number, invoice_amount_fen=17_500_00)
        documents.add_claim_document(
            session,
            world["seller"],
            claim.id,
            DocumentInput.from_input(data),
            upload(PDF, f"{kind}.pdf"),
            world["uploads"],
        )


# -- claimable orders and drafts --------------------------------------------------------------------


def test_claimable_orders_are_the_providers_confirmed_orders_with_vouchers_in_no_live_claim(session, world):
    e1 = world["e1"]
    placed = make_order(session, e1, world["provider"], status="placed")
    refunded = make_order(session, e1, world["provider"], status="refunded", voucher_fen=0)
    no_vouchers = make_order(session, e1, world["provider"], voucher_fen=0)
    page, total = claimable.list_claimable_orders(session, world["seller"], ClaimableFilter(), 1, 20)
    ids = [o.id for o in page.items]
    assert ids == [o.id for o in world["orders"]]
    assert total == 7_000_00
    assert placed.id not in ids and refunded.id not in ids and no_vouchers.id not in ids
    claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    page, total = claimable.list_claimable_orders(session, world["seller"], ClaimableFilter(), 1, 20)
    assert [o.id for o in page.items] == [o.id for o in world["orders"][1:]] and total == 3_000_00


def test_claimable_orders_filter_by_enterprise_and_confirmation_date(session, world):
    only_e2 = ClaimableFilter.from_args({"enterprise": "遵义"})
    page, _ = claimable.list_claimable_orders(session, world["seller"], only_e2, 1, 20)
    assert [o.enterprise_id for o in page.items] == [world["e2"].id]
    by_code = ClaimableFilter.from_args({"enterprise": world["e1"].uscc.lower()})
    assert {
        o.enterprise_id for o in claimable.list_claimable_orders(session, world["seller"], by_code, 1, 20)[0].items
    } == {world["e1"].id}
    tomorrow = ClaimableFilter.from_args({"confirmed_from": "2026-03-03"})
    assert claimable.list_claimable_orders(session, world["seller"], tomorrow, 1, 20)[0].total == 0
    today_only = ClaimableFilter.from_args({"confirmed_from": "2026-03-02", "confirmed_to": "2026-03-02"})
    assert claimable.list_claimable_orders(session, world["seller"], today_only, 1, 20)[0].total == 3
    with pytest.raises(DomainError) as error:
        ClaimableFilter.from_args({"confirmed_from": "yesterday"})
    assert "confirmed_from" in error.value.errors


def test_a_draft_totals_the_vouchers_of_its_orders_and_holds_them(session, world):
    claim = claims.create_claim(
        session, world["seller"], ClaimInput.from_input({"order_ids": [o.id for o in world["orders"]]})
    )
    assert (claim.status, claim.total_fen, claim.settlement_date) == (ClaimStatus.DRAFT, 7_000_00, None)
    with pytest.raises(DomainError) as error:
        claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][1].id]}))
    assert error.value.code == "invalid_state" and f"#{world['orders'][1].id}" in str(error.value.detail)
    # a draft moves no vouchers yet
    assert balances(session, world["e1"])["in_orders"] == 5_000_00


def test_a_claim_takes_only_the_providers_own_confirmed_orders(session, world):
    with pytest.raises(DomainError) as error:
        claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["foreign"].id]}))
    assert error.value.code == "validation_error" and "order_ids" in error.value.errors
    placed = make_order(session, world["e1"], world["provider"], status="placed")
    with pytest.raises(DomainError) as error:
        claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [placed.id]}))
    assert error.value.code == "invalid_state"
    with pytest.raises(DomainError) as error:
        claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": []}))
    assert error.value.code == "validation_error"
    with pytest.raises(DomainError) as error:
        claims.create_claim(session, member(world["e1"]), ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    assert error.value.code == "forbidden"


def test_a_refund_request_takes_the_order_out_of_a_draft_claim(session, world):
    """第二十条: the refund window closes when the claim is submitted, not when it is drafted."""
    order, kept = world["orders"][0], world["orders"][2]
    draft = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [order.id, kept.id]}))
    assert order_services.refund_refusal(session, order) is None
    refunding = order_services.request_refund(session, member(world["e1"]), order.id, "不需要了")
    assert refunding.status == OrderStatus.REFUND_REQUESTED
    draft = claim_queries.get_claim(session, world["seller"], draft.id)
    assert [i.order_id for i in draft.live_items] == [kept.id] and draft.total_fen == 1_000_00
    out = next(i for i in draft.items if i.order_id == order.id)
    assert out.excluded_reason == "不需要了" and out.excluded_by.role == Role.ENTERPRISE
    entry = history(session, "claim", draft.id)[-1]
    assert (entry.action, entry.after["order_id"]) == ("leave_for_refund", order.id)
    assert balances(session, world["e1"])["claimed"] == 0


def test_a_refund_request_that_empties_a_draft_withdraws_it(session, world):
    order = world["orders"][0]
    draft = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [order.id]}))
    add_documents(session, world, draft)
    order_services.request_refund(session, member(world["e1"]), order.id, "不需要了")
    draft = claim_queries.get_claim(session, world["seller"], draft.id)
    assert draft.status == ClaimStatus.WITHDRAWN and draft.live_items == [] and draft.live_documents == []
    # its invoice number is free again
    again = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][1].id]}))
    add_documents(session, world, again)


def test_an_order_in_a_submitted_claim_cannot_be_refunded(session, world):
    order = world["orders"][0]
    make_claim(session, world["provider"], [order], world["uploads"])
    with pytest.raises(DomainError) as error:
        order_services.request_refund(session, member(world["e1"]), order.id, "不需要了")
    assert error.value.code == "invalid_state" and "submitted" in str(error.value.detail)


def test_an_expelled_provider_cannot_claim_but_one_that_has_left_can(session, world):
    world["provider"].status = OrgStatus.EXITED
    session.commit()
    claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    world["provider"].status = OrgStatus.EXPELLED
    session.commit()
    with pytest.raises(DomainError) as error:
        claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][1].id]}))
    assert error.value.code == "sanctioned"


# -- evidence ----------------------------------------------------------------------------------------------


def test_evidence_is_recognised_by_content_and_invoices_carry_number_and_amount(session, world):
    claim = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    with pytest.raises(DomainError) as error:
        documents.add_claim_document(
            session,
            world["seller"],
            claim.id,
            DocumentInput.from_input({"kind": "contract"}),
            upload(b"MZ\x90\x00 not a document", "contract.pdf"),
            world["uploads"],
        )
    assert "file" in error.value.errors
    with pytest.raises(DomainError) as error:
        documents.add_claim_document(
            session,
            world["seller"],
            claim.id,
            DocumentInput.from_input({"kind": "invoice"}),
            upload(PDF),
            world["uploads"],
        )
    assert set(error.value.errors) == {"invoice_number", "invoice_amount"}
    doc = documents.add_claim_document(
        session,
        world["seller"],
        claim.id,
        DocumentInput.from_input(
            {"kind": "invoice", "invoice_number": " 5200 1234-5678 ", "invoice_amount_fen": 10_000_00}
        ),
        upload(JPEG, "fapiao.jpg"),
        world["uploads"],
    )
    assert (doc.invoice_number, doc.invoice_amount_fen, doc.content_type) == ("520012345678", 10_000_00, "image/jpeg")
    assert (world["uploads"] / doc.stored_name).exists()
    for data in (PNG, _xlsx()):
        documents.add_claim_document(
            session,
            world["seller"],
            claim.id,
            DocumentInput.from_input({"kind": "usage"}),
            upload(data, "usage"),
            world["uploads"],
        )


def _xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["日期", "CPU 使用率"])
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_file_above_20_mb_is_refused(session, world, monkeypatch):
    monkeypatch.setattr(documents, "DOCUMENT_MAX_BYTES", 1024)
    claim = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    with pytest.raises(DomainError) as error:
        documents.add_claim_document(
            session,
            world["seller"],
            claim.id,
            DocumentInput.from_input({"kind": "usage"}),
            upload(PDF + b"0" * 2048, "big.pdf"),
            world["uploads"],
        )
    assert "file" in error.value.errors
    assert not list(world["uploads"].glob("*")) if world["uploads"].exists() else True


def test_one_invoice_number_cannot_appear_in_two_claims(session, world):
    first = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    add_documents(session, world, first, ("invoice",), number="52009999")
    second = claims.create_claim(
        session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][1].id]})
    )
    with pytest.raises(DomainError) as error:
        add_documents(session, world, second, ("invoice",), number="5200 9999")
    assert "invoice_number" in error.value.errors and "52009999" in str(error.value.detail)
    # a withdrawn draft frees its invoice number (and its orders)
    claims.withdraw_claim(session, world["seller"], first.id)
    add_documents(session, world, second, ("invoice",), number="52009999")
    claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))


def test_the_database_keeps_an_invoice_number_in_one_live_claim(session, world):
    """The rule holds even when two requests pass the check at the same time."""
    first = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    second = claims.create_claim(
        session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][1].id]})
    )
    base = {
        "kind": "invoice",
        "original_name": "a.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1,
        "sha256": "0" * 64,
        "invoice_number": "X1",
        "invoice_amount_fen": 1,
        "live": True,
        "uploaded_by_id": world["seller"].id,
    }
    session.add(ClaimDocument(claim_id=first.id, stored_name="a1.pdf", **base))
    session.commit()
    session.add(ClaimDocument(claim_id=second.id, stored_name="a2.pdf", **base))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_a_removed_document_no_longer_counts(session, world):
    claim = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    add_documents(session, world, claim)
    usage = [d for d in claim_queries.get_claim(session, world["seller"], claim.id).documents if d.kind == "usage"][0]
    documents.remove_claim_document(session, world["seller"], claim.id, usage.id)
    with pytest.raises(DomainError) as error:
        claims.submit_claim(session, world["seller"], claim.id)
    assert error.value.code == "missing_documents" and error.value.extra["missing"] == ["usage"]


# -- submission and settlement dates ----------------------------------------------------------------------------


def test_submitting_needs_one_document_of_each_kind(session, world):
    claim = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    add_documents(session, world, claim, ("invoice", "contract"))
    with pytest.raises(DomainError) as error:
        claims.submit_claim(session, world["seller"], claim.id)
    assert (error.value.code, error.value.status) == ("missing_documents", 422)
    assert error.value.extra["missing"] == ["transfer", "usage"]


def test_invoices_below_the_orders_total_cannot_be_submitted(session, world):
    """A ¥1 invoice on a ¥10,000 claim was paid: the invoices must cover the orders' amounts."""
    claim = claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [world["orders"][0].id]}))
    documents.add_claim_document(
        session,
        world["seller"],
        claim.id,
        DocumentInput.from_input({"kind": "invoice", "invoice_number": "52000001", "invoice_amount_fen": 100}),
        upload(PDF, "fapiao.pdf"),
        world["uploads"],
    )
    add_documents(session, world, claim, kinds=("contract", "transfer", "usage"))
    with pytest.raises(DomainError) as error:
        claims.submit_claim(session, world["seller"], claim.id)
    assert (error.value.code, error.value.status) == ("evidence_mismatch", 422)
    assert "¥1.00" in str(error.value.detail) and "¥10,000.00" in str(error.value.detail)
    assert error.value.extra == {"invoices_fen": 100, "orders_fen": 10_000_00}
    assert balances(session, world["e1"])["claimed"] == 0
    documents.add_claim_document(
        session,
        world["seller"],
        claim.id,
        DocumentInput.from_input({"kind": "invoice", "invoice_number": "52000002", "invoice_amount_fen": 9_999_99}),
        upload(PDF, "fapiao2.pdf"),
        world["uploads"],
    )
    assert claims.submit_claim(session, world["seller"], claim.id).status == ClaimStatus.SUBMITTED


def test_a_submitted_claim_goes_to_the_next_settlement_date_and_its_vouchers_are_claimed(session, world):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    assert (claim.status, claim.settlement_date) == (ClaimStatus.SUBMITTED, dt.date(2026, 6, 30))
    assert balances(session, world["e1"]) == {
        "available": 45_000_00,
        "in_orders": 0,
        "claimed": 5_000_00,
        "disbursed": 0,
    }
    assert balances(session, world["e2"])["claimed"] == 2_000_00


def test_a_claim_submitted_on_a_settlement_date_goes_to_that_date(session, world, today):
    today("2026-06-30")
    assert make_claim(session, world["provider"], world["orders"][:1], world["uploads"]).settlement_date == dt.date(
        2026, 6, 30
    )


def test_without_a_later_settlement_date_submission_is_refused_until_the_authority_adds_one(session, world, today):
    today("2026-12-21")
    claim = make_claim(session, world["provider"], world["orders"][:1], world["uploads"], submit=False)
    with pytest.raises(DomainError) as error:
        claims.submit_claim(session, world["seller"], claim.id)
    assert error.value.code == "invalid_state" and "settlement date" in str(error.value.detail)
    assert balances(session, world["e1"])["claimed"] == 0
    wallet_programmes.update_programme(
        session,
        world["authority"],
        2026,
        ProgrammeInput.from_input({"settlement_dates": ["2026-06-30", "2026-12-20", "2026-12-30"]}, year=2026),
    )
    assert claims.submit_claim(session, world["seller"], claim.id).settlement_date == dt.date(2026, 12, 30)


def test_a_claim_that_missed_its_date_rolls_over_to_the_next(session, world, today):
    claim = make_claim(session, world["provider"], world["orders"][:1], world["uploads"])
    reviewed = make_claim(session, world["provider"], world["orders"][1:2], world["uploads"])
    reviews.review_claim(session, world["operator"], reviewed.id, Decision(True))
    today("2026-07-01")
    assert reviews.roll_over_claims(session) == 1
    session.rollback()
    assert claim_queries.get_claim(session, world["seller"], claim.id).settlement_date == dt.date(2026, 12, 20)
    assert claim_queries.get_claim(session, world["seller"], reviewed.id).settlement_date == dt.date(2026, 6, 30)
    assert reviews.roll_over_claims(session) == 0  # idempotent


def test_a_settlement_date_claims_wait_on_cannot_be_removed(session, world):
    make_claim(session, world["provider"], world["orders"][:1], world["uploads"])
    with pytest.raises(DomainError) as error:
        wallet_programmes.update_programme(
            session,
            world["authority"],
            2026,
            ProgrammeInput.from_input({"settlement_dates": ["2026-12-20"]}, year=2026),
        )
    assert "2026-06-30" in str(error.value.detail)


# -- reviews ---------------------------------------------------------------------------------------------------


def test_operator_then_authority_approve_and_the_finance_bureau_records_the_payment(session, world):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    assert reviews.review_claim(session, world["operator"], claim.id, Decision(True)).status == "operator_approved"
    with pytest.raises(DomainError) as error:  # the operator's stage is over
        reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    assert error.value.code == "invalid_state"
    assert reviews.review_claim(session, world["authority"], claim.id, Decision(True)).status == "approved"
    with pytest.raises(DomainError) as error:
        reviews.disburse_claim(
            session,
            world["finance"],
            claim.id,
            DisbursementInput.from_input({"reference": "GZ-2026-001", "amount_fen": 100}),
        )
    assert "amount_fen" in error.value.errors
    with pytest.raises(DomainError) as error:
        reviews.disburse_claim(
            session,
            world["finance"],
            claim.id,
            DisbursementInput.from_input({"reference": "GZ-2026-001", "paid_on": "2026-03-03"}),
        )
    assert "paid_on" in error.value.errors
    paid = reviews.disburse_claim(
        session,
        world["finance"],
        claim.id,
        DisbursementInput.from_input({"reference": "GZ-2026-001", "paid_on": "2026-03-02", "amount_fen": 7_000_00}),
    )
    assert (paid.status, paid.disbursement_reference, paid.disbursed_on, paid.disbursed_fen) == (
        ClaimStatus.DISBURSED,
        "GZ-2026-001",
        dt.date(2026, 3, 2),
        7_000_00,
    )
    assert balances(session, world["e1"]) == {
        "available": 45_000_00,
        "in_orders": 0,
        "claimed": 0,
        "disbursed": 5_000_00,
    }
    assert balances(session, world["e2"])["disbursed"] == 2_000_00


def test_the_payment_date_is_between_the_authoritys_approval_and_today(session, world, today):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    today("2026-03-05")
    reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    today("2026-03-09")
    for day in ("2026-03-04", "2026-03-10"):  # before the approval; in the future
        with pytest.raises(DomainError) as error:
            reviews.disburse_claim(
                session,
                world["finance"],
                claim.id,
                DisbursementInput.from_input({"reference": "GZ-7", "paid_on": day}),
            )
        assert (error.value.status, list(error.value.errors)) == (422, ["paid_on"])
    with pytest.raises(DomainError) as error:
        reviews.disburse_claim(
            session,
            world["finance"],
            claim.id,
            DisbursementInput.from_input({"reference": "GZ-7", "paid_on": "2026-03-04"}),
        )
    assert "2026-03-05" in str(error.value.detail)
    paid = reviews.disburse_claim(
        session,
        world["finance"],
        claim.id,
        DisbursementInput.from_input({"reference": "GZ-7", "paid_on": "2026-03-05"}),
    )
    assert paid.disbursed_on == dt.date(2026, 3, 5)


def test_the_payment_date_is_today_when_not_given(session, world, today):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    today("2026-03-06")
    assert reviews.disburse_claim(
        session, world["finance"], claim.id, DisbursementInput.from_input({"reference": "GZ-8"})
    ).disbursed_on == dt.date(2026, 3, 6)


@pytest.mark.parametrize("stage", ["operator", "authority"])
def test_a_rejected_claim_frees_its_orders_and_its_vouchers_go_back_to_in_orders(session, world, stage):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"], invoice_number="52007777")
    if stage == "authority":
        reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    reviewer = world[stage]
    with pytest.raises(DomainError) as error:
        reviews.review_claim(session, reviewer, claim.id, Decision.from_input({"decision": "reject"}))
    assert "reason" in error.value.errors
    rejected = reviews.review_claim(session, reviewer, claim.id, Decision(False, "发票与订单金额不符"))
    assert rejected.status == ClaimStatus.REJECTED and rejected.reason == "发票与订单金额不符"
    assert balances(session, world["e1"])["in_orders"] == 5_000_00 and balances(session, world["e1"])["claimed"] == 0
    again = make_claim(session, world["provider"], world["orders"], world["uploads"], invoice_number="52007777")
    assert again.total_fen == 7_000_00


def test_the_operator_takes_single_orders_out_and_the_total_is_recomputed(session, world):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    out = world["orders"][1]
    with pytest.raises(DomainError) as error:
        reviews.exclude_order(session, world["operator"], claim.id, out.id, ReasonInput.from_input({}))
    assert "reason" in error.value.errors
    claim = reviews.exclude_order(
        session, world["operator"], claim.id, out.id, ReasonInput.from_input({"reason": "缺少使用证明"})
    )
    assert claim.total_fen == 5_000_00
    # (e2's other order, with another provider, holds 400 more)
    assert balances(session, world["e2"])["in_orders"] == 2_400_00 and balances(session, world["e2"])["claimed"] == 0
    page, _ = claimable.list_claimable_orders(session, world["seller"], ClaimableFilter(), 1, 20)
    assert [o.id for o in page.items] == [out.id]  # claimable again
    reviews.exclude_order(
        session, world["operator"], claim.id, world["orders"][0].id, ReasonInput.from_input({"reason": "x"})
    )
    with pytest.raises(DomainError) as error:
        reviews.exclude_order(
            session, world["operator"], claim.id, world["orders"][2].id, ReasonInput.from_input({"reason": "x"})
        )
    assert "reject the whole claim" in str(error.value.detail)
    with pytest.raises(DomainError) as error:
        reviews.exclude_order(
            session, world["authority"], claim.id, world["orders"][2].id, ReasonInput.from_input({"reason": "x"})
        )
    assert error.value.code == "forbidden"


def test_queries_are_due_three_working_days_on_and_block_approval_until_answered(session, world, today):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    with pytest.raises(DomainError) as error:  # only on a claim the operator approved
        reviews.ask_query(session, world["authority"], claim.id, QueryInput.from_input({"question": "请补充？"}))
    assert error.value.code == "invalid_state"
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    today("2026-09-30")  # a Wednesday before the National Day holiday (1–7 October)
    query = reviews.ask_query(
        session, world["authority"], claim.id, QueryInput.from_input({"question": "订单 2 的使用证明是否完整？"})
    )
    # 1–7 October are holidays; 8 and 9 October count, and Saturday 10 October is an adjusted working day (调休)
    assert query.due_on == dt.date(2026, 10, 10)
    with pytest.raises(DomainError) as error:
        reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    assert "query" in str(error.value.detail)
    today("2026-10-10")
    assert claim_queries.overdue_queries(session) == 0
    today("2026-10-12")
    assert claim_queries.overdue_queries(session) == 1
    answered = reviews.answer_query(
        session, world["operator"], claim.id, query.id, AnswerInput.from_input({"answer": "已核实，使用证明完整。"})
    )
    assert answered.is_overdue(dt.date(2026, 10, 20)) and not answered.is_open  # answered late stays late
    with pytest.raises(DomainError):
        reviews.answer_query(
            session, world["operator"], claim.id, query.id, AnswerInput.from_input({"answer": "again"})
        )
    assert reviews.review_claim(session, world["authority"], claim.id, Decision(True)).status == "approved"


def test_a_query_in_late_december_is_due_in_a_year_the_calendar_does_not_know(session, world, today):
    claim = make_claim(session, world["provider"], world["orders"][:1], world["uploads"])
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    today("2026-12-30")  # a Wednesday; chinesecalendar knows nothing of 2027
    query = reviews.ask_query(session, world["authority"], claim.id, QueryInput.from_input({"question": "请说明"}))
    assert query.due_on == dt.date(2027, 1, 4)  # 31 Dec, then weekend, 1 Jan (weekday) and 4 Jan
    from shop import calendar

    calendar.set_holiday(
        session,
        world["operator"],
        calendar.HolidayInput.from_input({"day": "2027-01-01", "is_working_day": "0", "note": "元旦"}),
    )
    second = reviews.ask_query(session, world["authority"], claim.id, QueryInput.from_input({"question": "再问一次"}))
    assert second.due_on == dt.date(2027, 1, 5)


# -- who sees what -------------------------------------------------------------------------------------------------


def test_a_claim_is_seen_by_its_provider_and_staff_only(session, world):
    claim = make_claim(session, world["provider"], world["orders"][:1], world["uploads"])
    assert claim_queries.get_claim(session, world["operator"], claim.id).id == claim.id
    for outsider in (member(world["other"]), member(world["e1"])):
        with pytest.raises(DomainError) as error:
            claim_queries.get_claim(session, outsider, claim.id)
        assert error.value.code == "not_found"
    document = claim_queries.get_claim(session, world["seller"], claim.id).documents[0]
    with pytest.raises(DomainError):
        claim_queries.claim_document(session, member(world["other"]), document.id)
    assert claim_queries.claim_document(session, world["authority"], document.id).id == document.id


def test_each_party_counts_what_waits_for_it(session, world):
    make_claim(session, world["provider"], world["orders"][:1], world["uploads"], submit=False)
    submitted = make_claim(session, world["provider"], world["orders"][1:2], world["uploads"])
    assert claim_queries.waiting_count(session, world["seller"]) == 1  # its draft
    assert claim_queries.waiting_count(session, world["operator"]) == 1  # to review
    assert claim_queries.waiting_count(session, world["authority"]) == 0
    reviews.review_claim(session, world["operator"], submitted.id, Decision(True))
    assert claim_queries.waiting_count(session, world["authority"]) == 1


def test_the_settlement_summary_sums_claims_per_date_in_sql(session, world):
    first = make_claim(session, world["provider"], world["orders"][:2], world["uploads"])
    make_claim(session, world["provider"], world["orders"][2:], world["uploads"])
    reviews.review_claim(session, world["operator"], first.id, Decision(True))
    rows = {r.day: r for r in claim_queries.settlement_summary(session, 2026)}
    june = rows[dt.date(2026, 6, 30)]
    assert (june.claims, june.total_fen, june.by_status) == (2, 7_000_00, {"operator_approved": 1, "submitted": 1})
    assert rows[dt.date(2026, 12, 20)].claims == 0


def test_every_step_is_in_the_audit_trail(session, world):
    from shop.audit import AuditEntry

    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    reviews.exclude_order(
        session, world["operator"], claim.id, world["orders"][0].id, ReasonInput.from_input({"reason": "重复"})
    )
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    reviews.disburse_claim(session, world["finance"], claim.id, DisbursementInput.from_input({"reference": "GZ-1"}))
    session.rollback()
    actions = list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "claim", AuditEntry.subject_id == claim.id)
            .order_by(AuditEntry.id)
        )
    )
    assert actions == [
        "create_claim",
        "add_document",
        "add_document",
        "add_document",
        "add_document",
        "submit_claim",
        "exclude_order",
        "operator_approve_claim",
        "authority_approve_claim",
        "disburse_claim",
    ]
    assert world["orders"][0].status == OrderStatus.CONFIRMED


def test_what_a_reader_may_do_follows_the_table_its_role_and_the_holds():
    from types import SimpleNamespace

    authority, operator = SimpleNamespace(role=Role.AUTHORITY), SimpleNamespace(role=Role.OPERATOR)
    finance = SimpleNamespace(role=Role.FINANCE)
    approved = SimpleNamespace(status=ClaimStatus.APPROVED, payment_request_id=None)
    # the finance bureau records the payment, no longer the authority
    assert claims.allowed_actions(authority, approved, []) == set()
    assert claims.allowed_actions(finance, approved, []) == {"disburse_claim"}
    assert claims.allowed_actions(finance, approved, ["held"]) == set()
    # in a payment request: paid with the request's transfer, rejected only once the request is returned
    sent = SimpleNamespace(status=ClaimStatus.APPROVED, payment_request_id=7)
    assert claims.allowed_actions(finance, sent, []) == set()
    assert "reject_held" not in claims.allowed_actions(authority, sent, ["held"])
    assert claims.allowed_actions(authority, approved, ["held"]) == {
        "authority_reject_claim",
        "reject_claim",
        "reject_held",
    }
    submitted = SimpleNamespace(status=ClaimStatus.SUBMITTED, payment_request_id=None)
    assert {"approve_claim", "reject_claim", "exclude_order", "answer_query"} <= claims.allowed_actions(
        operator, submitted, []
    )
    assert "approve_claim" not in claims.allowed_actions(operator, submitted, ["held"])
    assert claims.allowed_actions(authority, submitted, []) == set()
