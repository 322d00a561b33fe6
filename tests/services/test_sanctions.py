"""Sanctions stop money (issue 11): a suspended, expelled or blacklisted organisation cannot check out,
be sold to, confirm, claim, have a claim approved or be paid; its pending claims are held until it is
reinstated or they are rejected. Suspensions end by themselves on their end date."""

import pytest
from sqlalchemy import select

from catalog import providers, queries
from catalog.providers import expel_organisation
from claims import queries as claim_queries
from claims import reviews
from claims import services as claims
from claims.commands import ClaimInput, DisbursementInput
from claims.states import ClaimStatus
from orders import checkout as checkouts
from orders import services as order_services
from orders.models import Order
from orders.states import OrderStatus
from orgs import blacklist, sanctions
from orgs.commands import BlacklistInput, SuspensionInput
from orgs.models import Organisation
from orgs.sanctions import reinstate_organisation
from orgs.states import OrgStatus
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from shop.errors import DomainError
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from tests.catalog_helpers import expulsion, notice
from tests.helpers import (
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_product,
    make_programme,
    make_staff,
    member,
)
from tests.stripe_mock import card
from wallet import ledger
from wallet.states import AccountKind


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    make_programme(session)
    enterprise = make_org(session, name="贵阳守信采购有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="黔云违规科技有限公司")
    return {
        "enterprise": enterprise,
        "buyer": member(enterprise),
        "provider": provider,
        "seller": member(provider),
        "product": make_product(session, provider, price_fen=1_000_00),
        "operator": make_staff(session, Role.OPERATOR),
        "authority": make_staff(session, Role.AUTHORITY),
        "finance": make_staff(session, Role.FINANCE),
        "uploads": tmp_path / "uploads",
    }


def buy(session, world, gateway, product=None):
    request = checkouts.CheckoutRequest([((product or world["product"]).id, 1)], True, True, card(gateway))
    return checkouts.checkout(session, world["buyer"], request, gateway=gateway)


def refused(call, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def suspend(session, world, org, reason="虚开发票待查", until=None):
    data = {"reason": reason}
    if until:
        data["until"] = until
    return sanctions.suspend_organisation(session, world["operator"], org.id, SuspensionInput.from_input(data))


def on_sale(session, product):
    session.rollback()
    return product.id in queries.versions_on_sale(session, [product.id])


# -- who is sanctioned -------------------------------------------------------------------------------


def test_a_blacklisted_enterprise_can_no_longer_check_out_with_its_vouchers(session, world, stripe_gateway):
    blacklist.add_to_blacklist(
        session, world["operator"], BlacklistInput.from_input({"uscc": world["enterprise"].uscc, "reason": "骗取补贴"})
    )
    error = refused(buy, session, world, stripe_gateway)
    assert (error.code, error.status) == ("sanctioned", 409)
    assert "贵阳守信采购有限公司" in str(error.detail)
    session.rollback()
    assert session.scalar(select(Order.id)) is None
    assert ledger.balance(session, AccountKind.AVAILABLE, 2026, world["enterprise"].id) == 50_000_00


def test_a_blacklisted_provider_that_was_not_expelled_stops_selling(session, world, stripe_gateway):
    blacklist.add_to_blacklist(
        session, world["operator"], BlacklistInput.from_input({"uscc": world["provider"].uscc, "reason": "虚假服务"})
    )
    assert not on_sale(session, world["product"])
    error = refused(buy, session, world, stripe_gateway)
    assert error.code == "sanctioned" and "黔云违规科技有限公司" in str(error.detail)


def test_blacklisting_an_existing_code_is_in_the_organisations_trail(session, world):
    blacklist.add_to_blacklist(
        session, world["operator"], BlacklistInput.from_input({"uscc": world["provider"].uscc, "reason": "虚假服务"})
    )
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == "organisation", AuditEntry.subject_id == world["provider"].id
        )
    ).all()
    assert "add_to_blacklist" in actions
    sanction = sanctions.sanction_of(session, world["provider"].id)
    assert (sanction.kind, sanction.reason) == ("blacklisted", "虚假服务")
    entry = blacklist.list_blacklist(session, 1, 10).items[0]
    blacklist.remove_from_blacklist(session, world["operator"], entry.id, ReasonInput("误列"))
    assert sanctions.sanction_of(session, world["provider"].id) is None


def test_a_suspended_provider_is_off_the_catalogue_until_it_is_reinstated(session, world, stripe_gateway):
    org = suspend(session, world, world["provider"])
    assert (org.status, org.status_reason) == (OrgStatus.SUSPENDED, "虚开发票待查")
    assert not on_sale(session, world["product"])
    error = refused(buy, session, world, stripe_gateway)
    assert error.code == "sanctioned" and "黔云违规科技有限公司" in str(error.detail)
    org = sanctions.reinstate_organisation(
        session, world["operator"], world["provider"].id, ReasonInput.from_input({"reason": "已整改"})
    )
    assert (org.status, org.suspended_until) == (OrgStatus.CERTIFIED, None)
    assert on_sale(session, world["product"])
    assert buy(session, world, stripe_gateway)[0].status == OrderStatus.PLACED


def test_a_suspended_enterprise_cannot_check_out(session, world, stripe_gateway):
    suspend(session, world, world["enterprise"], until="2026-04-01")
    error = refused(buy, session, world, stripe_gateway)
    assert error.code == "sanctioned"
    assert "贵阳守信采购有限公司" in str(error.detail) and "2026-04-01" in str(error.detail)


def test_a_suspension_with_an_end_date_ends_by_itself_on_that_day(session, world, today):
    suspend(session, world, world["provider"], until="2026-03-10")
    assert sanctions.end_suspensions(session) == 0  # not yet
    today("2026-03-10")
    assert sanctions.sanction_of(session, world["provider"].id) is None  # over on the day, job or not
    assert on_sale(session, world["product"])
    assert sanctions.end_suspensions(session) == 1
    assert sanctions.end_suspensions(session) == 0  # idempotent
    org = session.get(Organisation, world["provider"].id)
    assert (org.status, org.suspended_until) == (OrgStatus.CERTIFIED, None)
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "organisation", AuditEntry.subject_id == org.id)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert (entry.action, entry.actor_id, entry.after["status"]) == ("reinstate", None, "certified")
    assert verify_chain(session).ok


def test_a_provider_suspended_during_its_notice_goes_back_to_leaving(session, world):
    providers.request_exit(session, world["seller"], world["provider"].id, notice("业务调整"))
    suspend(session, world, world["provider"])
    org = sanctions.reinstate_organisation(
        session, world["operator"], world["provider"].id, ReasonInput.from_input({"reason": "已整改"})
    )
    assert org.status == OrgStatus.EXITING and org.exit_effective_on is not None


def test_suspension_needs_a_reason_and_an_end_date_after_today(session, world):
    error = refused(SuspensionInput.from_input, {})
    assert "reason" in error.errors
    error = refused(suspend, session, world, world["provider"], until="2026-03-02")
    assert "until" in error.errors
    error = refused(
        sanctions.reinstate_organisation,
        session,
        world["operator"],
        world["provider"].id,
        ReasonInput.from_input({"reason": "x"}),
    )
    assert error.code == "invalid_state"  # not suspended
    pending = make_org(session, status=OrgStatus.UNDER_REVIEW)
    assert refused(suspend, session, world, pending).code == "invalid_state"
    assert (
        refused(
            sanctions.suspend_organisation,
            session,
            world["operator"],
            999_999,
            SuspensionInput.from_input({"reason": "x"}),
        ).code
        == "not_found"
    )


def test_only_the_operator_suspends_and_reinstates_and_nobody_suspends_itself(session, world):
    for who in (world["authority"], world["buyer"], world["seller"]):
        for target in (world["enterprise"], world["provider"]):
            error = refused(
                sanctions.suspend_organisation, session, who, target.id, SuspensionInput.from_input({"reason": "x"})
            )
            assert error.code == "forbidden"
            error = refused(
                sanctions.reinstate_organisation, session, who, target.id, ReasonInput.from_input({"reason": "x"})
            )
            assert error.code == "forbidden"
    session.rollback()
    assert session.get(Organisation, world["enterprise"].id).status == OrgStatus.CERTIFIED


def test_an_enterprise_can_be_expelled_and_blacklisted(session, world, stripe_gateway):
    org = providers.expel_organisation(session, world["operator"], world["enterprise"].id, expulsion("骗取补贴", True))
    assert (org.status, org.status_reason) == (OrgStatus.EXPELLED, "骗取补贴")
    assert sanctions.sanction_of(session, org.id).kind == "expelled"
    assert refused(buy, session, world, stripe_gateway).code == "sanctioned"
    error = refused(providers.expel_organisation, session, world["operator"], org.id, expulsion("again", False))
    assert error.code == "invalid_state"
    suspended = make_org(session)
    suspend(session, world, suspended)
    assert (
        providers.expel_organisation(session, world["operator"], suspended.id, expulsion("拒不整改", False)).status
        == OrgStatus.EXPELLED
    )


# -- orders and claims ---------------------------------------------------------------------------------


def test_an_order_cannot_be_confirmed_while_either_party_is_sanctioned(session, world, stripe_gateway):
    order = buy(session, world, stripe_gateway)[0]
    suspend(session, world, world["enterprise"])
    error = refused(order_services.confirm_order, session, world["seller"], order.id, gateway=stripe_gateway)
    assert error.code == "sanctioned" and "贵阳守信采购有限公司" in str(error.detail)
    sanctions.reinstate_organisation(
        session, world["operator"], world["enterprise"].id, ReasonInput.from_input({"reason": "已整改"})
    )
    suspend(session, world, world["provider"])
    error = refused(order_services.confirm_order, session, world["seller"], order.id, gateway=stripe_gateway)
    assert error.code == "sanctioned" and "黔云违规科技有限公司" in str(error.detail)
    session.rollback()
    assert session.get(Order, order.id).status == OrderStatus.PLACED
    assert stripe_gateway.retrieve(order.payment_intent_id).status == "requires_capture"  # nothing captured
    # the buyer may still cancel: its vouchers come back
    assert (
        order_services.cancel_order(session, world["buyer"], order.id, gateway=stripe_gateway).status
        == OrderStatus.CANCELLED
    )


def test_a_sanctioned_provider_cannot_create_or_submit_a_claim(session, world):
    orders = [make_order(session, world["enterprise"], world["provider"]) for _ in range(2)]
    draft = make_claim(session, world["provider"], [orders[0]], world["uploads"], submit=False)
    suspend(session, world, world["provider"])
    error = refused(claims.create_claim, session, world["seller"], ClaimInput.from_input({"order_ids": [orders[1].id]}))
    assert error.code == "sanctioned"
    error = refused(claims.submit_claim, session, world["seller"], draft.id)
    assert error.code == "sanctioned" and "黔云违规科技有限公司" in str(error.detail)


def test_a_claim_for_a_sanctioned_enterprises_orders_cannot_be_made_or_submitted(session, world):
    orders = [make_order(session, world["enterprise"], world["provider"]) for _ in range(2)]
    draft = make_claim(session, world["provider"], [orders[0]], world["uploads"], submit=False)
    blacklist.add_to_blacklist(
        session, world["operator"], BlacklistInput.from_input({"uscc": world["enterprise"].uscc, "reason": "骗取补贴"})
    )
    error = refused(claims.create_claim, session, world["seller"], ClaimInput.from_input({"order_ids": [orders[1].id]}))
    assert error.code == "sanctioned" and "贵阳守信采购有限公司" in str(error.detail)
    assert refused(claims.submit_claim, session, world["seller"], draft.id).code == "sanctioned"


def test_an_expelled_blacklisted_providers_claim_is_held_not_approved_nor_paid(session, world):
    order = make_order(session, world["enterprise"], world["provider"])
    claim = make_claim(session, world["provider"], [order], world["uploads"])
    other = make_claim(
        session, world["provider"], [make_order(session, world["enterprise"], world["provider"])], world["uploads"]
    )
    reviews.review_claim(session, world["operator"], other.id, Decision(True))
    reviews.review_claim(session, world["authority"], other.id, Decision(True))
    expel_organisation(session, world["operator"], world["provider"].id, expulsion("骗取补贴", True))

    error = refused(reviews.review_claim, session, world["operator"], claim.id, Decision(True))
    assert (error.code, error.status) == ("sanctioned", 409) and "黔云违规科技有限公司" in str(error.detail)
    error = refused(
        reviews.disburse_claim,
        session,
        world["finance"],
        other.id,
        DisbursementInput.from_input({"reference": "GZ-1"}),
    )
    assert error.code == "sanctioned"
    assert [
        h.name for h in claims.claim_holds(session, claim_queries.get_claim(session, world["operator"], claim.id))
    ] == ["黔云违规科技有限公司"]
    rows = claim_queries.list_claims(session, world["operator"], claim_queries.ClaimFilter(), 1, 20).items
    assert {row[0].id: bool(row.held) for row in rows} == {claim.id: True, other.id: True}

    # rejection is still possible, at either stage, and gives the vouchers back to "in orders"
    assert (
        reviews.review_claim(session, world["operator"], claim.id, Decision(False, "服务商已清退")).status
        == ClaimStatus.REJECTED
    )
    assert (
        reviews.review_claim(session, world["authority"], other.id, Decision(False, "服务商已清退")).status
        == ClaimStatus.REJECTED
    )
    session.rollback()
    assert ledger.balance(session, AccountKind.DISBURSED, 2026, world["enterprise"].id) == 0
    assert ledger.balance(session, AccountKind.CLAIMED, 2026, world["enterprise"].id) == 0


def test_an_approved_claim_that_is_not_held_cannot_be_rejected(session, world):
    claim = make_claim(
        session, world["provider"], [make_order(session, world["enterprise"], world["provider"])], world["uploads"]
    )
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    error = refused(reviews.review_claim, session, world["authority"], claim.id, Decision(False, "x"))
    assert error.code == "invalid_state"


def test_a_held_claim_goes_on_once_the_provider_is_reinstated(session, world):
    claim = make_claim(
        session, world["provider"], [make_order(session, world["enterprise"], world["provider"])], world["uploads"]
    )
    suspend(session, world, world["provider"])
    assert refused(reviews.review_claim, session, world["operator"], claim.id, Decision(True)).code == "sanctioned"
    reinstate_organisation(
        session, world["operator"], world["provider"].id, ReasonInput.from_input({"reason": "已整改"})
    )
    assert claims.claim_holds(session, claim_queries.get_claim(session, world["operator"], claim.id)) == []
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    assert (
        reviews.disburse_claim(
            session, world["finance"], claim.id, DisbursementInput.from_input({"reference": "GZ-2"})
        ).status
        == ClaimStatus.DISBURSED
    )


def test_a_claim_with_a_sanctioned_enterprises_order_is_held(session, world):
    claim = make_claim(
        session, world["provider"], [make_order(session, world["enterprise"], world["provider"])], world["uploads"]
    )
    suspend(session, world, world["enterprise"], until="2026-05-01")
    holds = claims.claim_holds(session, claim_queries.get_claim(session, world["seller"], claim.id))
    assert [(h.name, h.kind, h.until.isoformat()) for h in holds] == [
        ("贵阳守信采购有限公司", "suspended", "2026-05-01")
    ]
    error = refused(reviews.review_claim, session, world["operator"], claim.id, Decision(True))
    assert error.code == "sanctioned" and "贵阳守信采购有限公司" in str(error.detail)
    row = claim_queries.list_claims(session, world["seller"], claim_queries.ClaimFilter(), 1, 20).items[0]
    assert bool(row.held)


def test_a_sanctioned_enterprise_is_not_granted_a_quota(session, world):
    from wallet import services as wallet_services

    enterprise = make_org(session)
    application = wallet_services.apply_for_quota(session, member(enterprise), 2026)
    blacklist.add_to_blacklist(
        session, world["operator"], BlacklistInput.from_input({"uscc": enterprise.uscc, "reason": "骗取补贴"})
    )
    error = refused(wallet_services.review_application, session, world["operator"], application.id, Decision(True))
    assert error.code == "sanctioned"
    rejected = wallet_services.review_application(
        session, world["operator"], application.id, Decision(False, "已列入黑名单")
    )
    assert rejected.status.value == "rejected"
