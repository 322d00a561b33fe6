"""A property-based state machine over the service layer (hypothesis ``RuleBasedStateMachine``).

It drives grants, checkouts (cards that pass, are declined, or meet an unreachable payment
service), confirmations (with captures whose answer is lost), cancellations, refunds, claims with
their reviews and payment, sanctions, the year's end and reconciliation, in random order and with
random amounts; after every step the money must still add up: every ledger entry sums to zero, no
balance is negative, every wallet holds what its orders, checkouts and claims say (the reconciliation
of ``ledger-verify``), grants never exceed the budget, and ``audit-verify`` passes.

Two profiles (``HYPOTHESIS_PROFILE``): ``ci`` (the default: a few minutes in ``make test``) and
``nightly`` (many more and longer runs; see docs/reliability.md).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import case, func, select

from catalog import providers
from claims import documents, payment_requests, reviews
from claims import services as claim_services
from claims.commands import ClaimInput, DisbursementInput, DocumentInput, PaymentRequestInput, TransferInput
from claims.models import Claim, ClaimItem, PaymentRequest
from claims.states import ClaimStatus, PaymentRequestStatus
from orders import checkout as checkouts
from orders import reconcile as reconciliation
from orders import services as order_services
from orders.models import Order
from orders.payments import InProcessGateway, PaymentUnavailable
from orders.states import OrderStatus
from orgs import sanctions
from orgs.commands import SuspensionInput
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from shop.db import make_engine, make_session_factory, read_only_transactions
from shop.errors import DomainError
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from tests.catalog_helpers import expulsion
from tests.helpers import PDF, make_org, make_product, make_programme, make_staff, member, upload
from wallet import ledger, ledger_check
from wallet import services as wallet_services
from wallet.models import QuotaApplication
from wallet.states import AccountKind, ApplicationStatus

# ci: derandomized, so that a run is reproducible and what it reaches does not vary between runs
settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("MACHINE_EXAMPLES", "30")),
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)
settings.register_profile(
    "nightly",
    max_examples=int(os.environ.get("MACHINE_EXAMPLES", "500")),
    stateful_step_count=150,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

YEAR = 2026
START = dt.date(2026, 3, 2)


class FaultyGateway(InProcessGateway):
    """The in-process gateway with faults a rule switches on: the service unreachable for the next
    call(s), or a capture carried out whose answer is lost (a timeout after the money was taken)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.lose_capture_answer = False

    def _check(self) -> None:
        if self.down:
            raise PaymentUnavailable("unreachable (fault injected)")

    def capture(self, intent_id: str) -> Any:
        self._check()
        intent = super().capture(intent_id)
        if self.lose_capture_answer:
            raise PaymentUnavailable("the answer was lost (fault injected)")
        return intent

    def void(self, intent_id: str) -> Any:
        self._check()
        return super().void(intent_id)

    def refund(self, intent_id: str, amount_fen: int | None = None, *, purpose: str | None = None) -> str:
        self._check()
        return super().refund(intent_id, amount_fen, purpose=purpose)


# What the runs reached, so that the test also fails when the machine stops exploring (a rule that
# always refuses would otherwise pass silently).
REACHED: dict[str, int] = {}


def make_machine(reset_database: Any, upload_dir: Path, monkeypatch: pytest.MonkeyPatch) -> type[RuleBasedStateMachine]:
    class MoneyMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.url = reset_database()
            self.engine = make_engine(self.url)
            self.sessions = make_session_factory(self.engine)
            self.session = self.sessions()
            self.gateway = FaultyGateway()
            self.day = START
            self.steps = 0
            monkeypatch.setenv("SHOP_TODAY", self.day.isoformat())

        # -- the world -----------------------------------------------------------------------------
        @initialize(
            budget_yuan=st.integers(20_000, 300_000),
            n=st.integers(2, 4),
            grants=st.lists(st.booleans(), min_size=4, max_size=4),
        )
        def programme_and_parties(self, budget_yuan: int, n: int, grants: list[bool]) -> None:
            s = self.session
            self.budget_fen = budget_yuan * 100
            make_programme(s, YEAR, budget_fen=self.budget_fen, cap_fen=50_000_00)
            self.operator = make_staff(s, Role.OPERATOR)
            self.authority = make_staff(s, Role.AUTHORITY)
            self.finance = make_staff(s, Role.FINANCE)  # records the payments
            self.providers = [make_org(s, "provider") for _ in range(2)]
            self.products = []
            for provider in self.providers:
                for layer, category, price in (
                    ("infrastructure", "compute", 3_000_00),
                    ("platform", "database", 12_345_67),
                    ("application", "production", 800_01),
                ):
                    self.products.append(make_product(s, provider, price_fen=price, layer=layer, category=category))
            self.enterprises = [make_org(s) for _ in range(n)]
            for enterprise, grant in zip(self.enterprises, grants, strict=False):
                if grant:  # some start with a wallet (first come, first served: maybe only part of a quota)
                    application = self._try(wallet_services.apply_for_quota, s, member(enterprise), YEAR)
                    if application is not None:
                        wallet_services.review_application(s, self.operator, application.id, Decision(True))

        def _enterprise(self, index: int) -> Any:
            return self.enterprises[index % len(self.enterprises)]

        def _try(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
            """A use case either does its work or refuses with a DomainError; anything else is a bug."""
            try:
                return fn(*args, **kwargs)
            except DomainError as exc:
                self.session.rollback()
                key = f"refused {fn.__name__}: {exc.code}"
                REACHED[key] = REACHED.get(key, 0) + 1
                return None

        def _pick(self, stmt: Any, index: int) -> Any:
            """One of the rows ``stmt`` selects (ids), chosen by ``index``; None when there is none."""
            with read_only_transactions(), self.sessions() as s:
                ids = s.scalars(stmt.order_by(stmt.selected_columns[0])).all()
            return ids[index % len(ids)] if ids else None

        def _with_gateway_down(self, down: bool, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.gateway.down = down
            try:
                return self._try(fn, *args, **kwargs)
            finally:
                self.gateway.down = False

        # -- quota -----------------------------------------------------------------------------------
        @rule(index=st.integers(0, 3), decision=st.sampled_from(["approve", "approve", "reject", "wait"]))
        def apply(self, index: int, decision: str) -> None:
            """An application (先申先得: it reserves what the budget has left, up to the cap), then maybe
            the operator's decision; a pending one may be decided by a later step."""
            application = self._try(
                wallet_services.apply_for_quota, self.session, member(self._enterprise(index)), YEAR
            )
            if application is None:
                application_id = self._pick(
                    select(QuotaApplication.id).where(QuotaApplication.status == ApplicationStatus.PENDING), index
                )
            else:
                application_id = application.id
            if application_id is not None and decision != "wait":
                self._try(
                    wallet_services.review_application,
                    self.session,
                    self.operator,
                    application_id,
                    Decision(decision == "approve", "材料不全" if decision == "reject" else None),
                )

        # -- checkout --------------------------------------------------------------------------------
        @rule(
            index=st.integers(0, 3),
            picks=st.lists(
                st.tuples(st.integers(0, 5), st.integers(1, 3)), min_size=1, max_size=4, unique_by=lambda t: t[0]
            ),
            use_vouchers=st.sampled_from([True, True, False]),
            card=st.sampled_from(["pm_card_ok"] * 4 + ["pm_declined", "pm_unavailable"]),
            then=st.sampled_from(["leave", "confirm", "confirm", "confirm", "cancel"]),
        )
        def checkout(self, index: int, picks: list[tuple[int, int]], use_vouchers: bool, card: str, then: str) -> None:
            """A checkout, then (to reach deeper states sooner) maybe its confirmation or cancellation."""
            enterprise = self._enterprise(index)
            lines = [(self.products[i].id, q) for i, q in picks]
            request = checkouts.CheckoutRequest(lines, use_vouchers, True, card)
            available_before = self._available(enterprise.id)
            placed = self._try(checkouts.checkout, self.session, member(enterprise), request, gateway=self.gateway)
            if not placed:
                # a refused or failed payment leaves no order and no spent voucher behind
                assert self._available(enterprise.id) == available_before
            else:
                assert self._available(enterprise.id) == available_before - sum(o.voucher_fen for o in placed)
                for order in placed:
                    if then == "confirm":
                        self._try(
                            order_services.confirm_order,
                            self.session,
                            member(order.provider),
                            order.id,
                            gateway=self.gateway,
                        )
                    elif then == "cancel":
                        self._try(
                            order_services.cancel_order,
                            self.session,
                            member(enterprise),
                            order.id,
                            gateway=self.gateway,
                        )

        def _order(self, statuses: list[OrderStatus], index: int) -> Order | None:
            order_id = self._pick(select(Order.id).where(Order.status.in_(statuses)), index)
            return None if order_id is None else self.session.get(Order, order_id, populate_existing=True)

        @rule(index=st.integers(0, 50), fault=st.sampled_from(["none", "none", "down", "lost_answer"]))
        def confirm(self, index: int, fault: str) -> None:
            """The provider confirms (the card is captured): the service may be down, or take the money
            and lose its answer; reconciliation must then finish what the confirmation could not."""
            order = self._order([OrderStatus.PLACED], index)
            if order is None:
                return
            self.gateway.lose_capture_answer = fault == "lost_answer"
            try:
                self._with_gateway_down(
                    fault == "down",
                    order_services.confirm_order,
                    self.session,
                    member(order.provider),
                    order.id,
                    gateway=self.gateway,
                )
            finally:
                self.gateway.lose_capture_answer = False

        @rule(index=st.integers(0, 50), down=st.booleans())
        def cancel(self, index: int, down: bool) -> None:
            order = self._order([OrderStatus.PLACED], index)
            if order is not None:
                self._with_gateway_down(
                    down,
                    order_services.cancel_order,
                    self.session,
                    member(order.enterprise),
                    order.id,
                    gateway=self.gateway,
                )

        @rule(index=st.integers(0, 50), decision=st.sampled_from(["approve", "reject", "wait"]), down=st.booleans())
        def refund(self, index: int, decision: str, down: bool) -> None:
            """The buyer asks for a refund of a confirmed order (or one already asked for is picked), and the
            provider may decide it."""
            order = self._order([OrderStatus.CONFIRMED, OrderStatus.REFUND_REQUESTED], index)
            if order is None:
                return
            if order.status == OrderStatus.CONFIRMED:
                self._try(order_services.request_refund, self.session, member(order.enterprise), order.id, "服务不符")
            if decision != "wait":
                self._with_gateway_down(
                    down,
                    order_services.decide_refund,
                    self.session,
                    member(order.provider),
                    order.id,
                    Decision(decision == "approve", "已按约定交付" if decision == "reject" else None),
                    gateway=self.gateway,
                )

        # -- claims ----------------------------------------------------------------------------------
        @rule(
            provider_index=st.integers(0, 1),
            cover=st.sampled_from([True, True, False]),
            stages=st.lists(st.sampled_from(["approve", "approve", "approve", "reject"]), max_size=3),
            submit=st.sampled_from([True, True, False]),
        )
        def claim(self, provider_index: int, cover: bool, stages: list[str], submit: bool) -> None:
            """A claim of confirmed orders, submitted, then (to reach deeper states sooner) taken through
            some of its reviews and the payment."""
            provider = self.providers[provider_index]
            with read_only_transactions(), self.sessions() as s:
                rows = s.execute(
                    select(Order.id, Order.total_fen)
                    .where(
                        Order.provider_id == provider.id,
                        Order.status == OrderStatus.CONFIRMED,
                        Order.voucher_fen > 0,
                        ~select(ClaimItem.id).where(ClaimItem.order_id == Order.id, ClaimItem.live.is_(True)).exists(),
                    )
                    .order_by(Order.id)
                    .limit(5)
                ).all()
            claim = (
                self._try(
                    claim_services.create_claim,
                    self.session,
                    member(provider),
                    ClaimInput.from_input({"order_ids": [order_id for order_id, _ in rows]}),
                )
                if rows
                else None
            )
            if claim is None:
                return
            total = sum(t for _, t in rows)
            for kind in ("invoice", "contract", "transfer", "usage"):
                data: dict[str, Any] = {"kind": kind}
                if kind == "invoice":
                    data.update(invoice_number=f"INV{claim.id:08d}", invoice_amount_fen=total if cover else 100)
                self._try(
                    documents.add_claim_document,
                    self.session,
                    member(provider),
                    claim.id,
                    DocumentInput.from_input(data),
                    upload(PDF, f"{kind}.pdf"),
                    upload_dir,
                )
            if not submit or self._try(claim_services.submit_claim, self.session, member(provider), claim.id) is None:
                return
            for step, decision in zip([self.operator, self.authority, None], stages, strict=False):
                if step is None:
                    self._try(
                        reviews.disburse_claim,
                        self.session,
                        self.finance,
                        claim.id,
                        DisbursementInput.from_input({"reference": f"BANK-{claim.id}"}),
                    )
                elif (
                    self._try(
                        reviews.review_claim,
                        self.session,
                        step,
                        claim.id,
                        Decision(decision == "approve", "发票不符" if decision == "reject" else None),
                    )
                    is None
                    or decision == "reject"
                ):
                    return

        @rule(index=st.integers(0, 50), decision=st.sampled_from(["approve", "approve", "approve", "reject"]))
        def advance_claim(self, index: int, decision: str) -> None:
            """The next step of a claim that waits on staff: a review by whoever's turn it is, or its payment."""
            claim_id = self._pick(
                select(Claim.id).where(
                    Claim.status.in_([ClaimStatus.SUBMITTED, ClaimStatus.OPERATOR_APPROVED, ClaimStatus.APPROVED])
                ),
                index,
            )
            if claim_id is None:
                return
            status = self.session.get(Claim, claim_id, populate_existing=True).status
            self.session.rollback()
            if status == ClaimStatus.APPROVED and decision == "approve":  # 拨付申请 (settled by payment_request)
                self._send(claim_id)
            elif status == ClaimStatus.APPROVED:  # or the finance bureau pays it alone
                self._try(
                    reviews.disburse_claim,
                    self.session,
                    self.finance,
                    claim_id,
                    DisbursementInput.from_input({"reference": f"BANK-{claim_id}"}),
                )
            else:
                actor = self.operator if status == ClaimStatus.SUBMITTED else self.authority
                self._try(
                    reviews.review_claim,
                    self.session,
                    actor,
                    claim_id,
                    Decision(decision == "approve", "发票不符" if decision == "reject" else None),
                )

        def _send(self, claim_id: int) -> None:
            """The authority sends the approved claims of the claim's programme and settlement date."""
            claim = self.session.get(Claim, claim_id, populate_existing=True)
            programme_id = payment_requests.programme_of_claim(self.session, claim)
            day = claim.settlement_date
            self.session.rollback()
            if programme_id is not None and day is not None:
                self._try(
                    payment_requests.create_payment_request,
                    self.session,
                    self.authority,
                    PaymentRequestInput(programme_id, day),
                )

        @rule(index=st.integers(0, 50), outcome=st.sampled_from(["transfer", "transfer", "return", "wait"]))
        def payment_request(self, index: int, outcome: str) -> None:
            """拨付申请: the authority sends the approved claims of an approved claim's date; the finance
            bureau transfers (every claim paid) or returns it (the claims approved again), or it waits."""
            claim_id = self._pick(
                select(Claim.id).where(Claim.status == ClaimStatus.APPROVED, Claim.payment_request_id.is_(None)),
                index,
            )
            if claim_id is not None:
                self._send(claim_id)
            request_id = self._pick(
                select(PaymentRequest.id).where(PaymentRequest.status == PaymentRequestStatus.SENT), index
            )
            if request_id is None or outcome == "wait":
                return
            if outcome == "transfer":
                self._try(
                    payment_requests.transfer_payment_request,
                    self.session,
                    self.finance,
                    request_id,
                    TransferInput(f"BANK-R{request_id}"),
                )
            else:
                self._try(
                    payment_requests.return_payment_request,
                    self.session,
                    self.finance,
                    request_id,
                    ReasonInput("收款账户待核实"),
                )

        # -- a whole journey -------------------------------------------------------------------------
        @rule(
            index=st.integers(0, 3),
            product=st.integers(0, 5),
            depth=st.integers(1, 7),
            refund=st.sampled_from([False, False, True]),
        )
        def journey(self, index: int, product: int, depth: int, refund: bool) -> None:
            """One enterprise's way through the programme, as far as ``depth`` goes: a wallet, an order paid
            with vouchers, its confirmation, then a refund, or a claim through both reviews to its payment.
            The other rules then act on what it leaves (so the deep states are reached in every run)."""
            enterprise, product_row = self._enterprise(index), self.products[product]
            application = self._try(wallet_services.apply_for_quota, self.session, member(enterprise), YEAR)
            if application is not None:
                self._try(
                    wallet_services.review_application, self.session, self.operator, application.id, Decision(True)
                )
            placed = self._try(
                checkouts.checkout,
                self.session,
                member(enterprise),
                checkouts.CheckoutRequest([(product_row.id, 1)], True, True, "pm_card_ok"),
                gateway=self.gateway,
            )
            if not placed or depth < 2:
                return
            order = placed[0]
            if (
                self._try(
                    order_services.confirm_order, self.session, member(order.provider), order.id, gateway=self.gateway
                )
                is None
                or depth < 3
            ):
                return
            if refund:
                if (
                    self._try(order_services.request_refund, self.session, member(enterprise), order.id, "服务不符")
                    is not None
                    and depth > 3
                ):
                    self._try(
                        order_services.decide_refund,
                        self.session,
                        member(order.provider),
                        order.id,
                        Decision(True),
                        gateway=self.gateway,
                    )
                return
            provider = order.provider
            claim = self._try(
                claim_services.create_claim,
                self.session,
                member(provider),
                ClaimInput.from_input({"order_ids": [order.id]}),
            )
            if claim is None:
                return
            for kind in ("invoice", "contract", "transfer", "usage"):
                data: dict[str, Any] = {"kind": kind}
                if kind == "invoice":
                    data.update(invoice_number=f"J{claim.id:08d}", invoice_amount_fen=order.total_fen)
                self._try(
                    documents.add_claim_document,
                    self.session,
                    member(provider),
                    claim.id,
                    DocumentInput.from_input(data),
                    upload(PDF, f"{kind}.pdf"),
                    upload_dir,
                )
            if depth < 4 or self._try(claim_services.submit_claim, self.session, member(provider), claim.id) is None:
                return
            for stage, actor in ((5, self.operator), (6, self.authority)):
                if (
                    depth < stage
                    or self._try(reviews.review_claim, self.session, actor, claim.id, Decision(True)) is None
                ):
                    return
            if depth >= 7:
                self._try(
                    reviews.disburse_claim,
                    self.session,
                    self.finance,
                    claim.id,
                    DisbursementInput.from_input({"reference": f"BANK-{claim.id}"}),
                )

        # -- sanctions ---------------------------------------------------------------------------------
        @rule(which=st.integers(0, 5), action=st.sampled_from(["suspend"] * 3 + ["reinstate"] * 4 + ["expel"]))
        def sanction(self, which: int, action: str) -> None:
            """The operator suspends, reinstates or expels an enterprise or a provider: nothing it is party
            to may then move money (checked by the refusals the other rules meet, and the invariants)."""
            parties = self.enterprises + self.providers
            org = parties[which % len(parties)]
            if action == "suspend":
                self._try(
                    sanctions.suspend_organisation,
                    self.session,
                    self.operator,
                    org.id,
                    SuspensionInput.from_input({"reason": "核查中"}),
                )
            elif action == "reinstate":
                self._try(
                    sanctions.reinstate_organisation,
                    self.session,
                    self.operator,
                    org.id,
                    ReasonInput.from_input({"reason": "核查完毕"}),
                )
            else:
                self._try(providers.expel_organisation, self.session, self.operator, org.id, expulsion("骗取补贴"))

        # -- time and housekeeping ---------------------------------------------------------------------
        @rule(days=st.integers(1, 40))
        def time_passes(self, days: int) -> None:
            self.day = min(self.day + dt.timedelta(days=days), dt.date(YEAR, 12, 31))
            monkeypatch.setenv("SHOP_TODAY", self.day.isoformat())
            reviews.roll_over_claims(self.session, self.day)
            self.session.commit()

        @precondition(lambda self: self.day.year == YEAR and self.steps > 60)
        @rule()
        def year_ends(self) -> None:
            self.day = dt.date(YEAR + 1, 1, 4)
            monkeypatch.setenv("SHOP_TODAY", self.day.isoformat())
            wallet_services.expire_past_years(self.session)

        @rule()
        def reconcile(self) -> None:
            """``reconcile-payments`` as cron runs it: finishes lost answers and pending voids and refunds."""
            reconciliation.reconcile_payments(self.session, self.gateway, older_than=dt.timedelta(minutes=15))

        # -- what must always hold ------------------------------------------------------------------------
        def _available(self, enterprise_id: int) -> int:
            with read_only_transactions(), self.sessions() as s:
                return ledger.balance(s, AccountKind.AVAILABLE, YEAR, enterprise_id)

        @invariant()
        def money_adds_up(self) -> None:
            self.steps += 1
            with read_only_transactions(), self.sessions() as s:
                report = ledger_check.verify(s)
                assert report.ok, f"ledger-verify failed: {report}"
                if hasattr(self, "budget_fen"):
                    # 总额控制: what is granted or reserved never exceeds the budget, and the budget
                    # account holds exactly the rest
                    held = case(
                        (QuotaApplication.status == ApplicationStatus.PENDING, QuotaApplication.reserved_fen),
                        else_=QuotaApplication.granted_fen,
                    )
                    committed = s.scalar(select(func.coalesce(func.sum(held), 0)).where(QuotaApplication.year == YEAR))
                    assert committed <= self.budget_fen
                    assert ledger.balance(s, AccountKind.BUDGET, YEAR) == self.budget_fen - committed
                chain = verify_chain(s)
                assert chain.ok, f"audit-verify failed: {chain}"

        def teardown(self) -> None:
            REACHED["steps"] = REACHED.get("steps", 0) + self.steps
            REACHED["runs"] = REACHED.get("runs", 0) + 1
            with read_only_transactions(), self.sessions() as s:
                for action, n in s.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action)):
                    REACHED[action] = REACHED.get(action, 0) + n
            self.session.close()
            self.engine.dispose()

    return MoneyMachine


@pytest.fixture
def reset_database(request: pytest.FixtureRequest, database: str, tmp_path: Path) -> Any:
    """A function giving a fresh migrated database URL for each example of the machine."""
    counter = iter(range(10**6))
    if database == "sqlite":
        template = request.getfixturevalue("sqlite_template")

        def fresh() -> str:
            path = tmp_path / f"machine-{next(counter)}.sqlite3"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"

        return fresh
    from tests.conftest import _truncate_pg

    url = request.getfixturevalue("pg_migrated")

    def fresh_pg() -> str:
        _truncate_pg(url)
        return url

    return fresh_pg


def test_random_money_journeys_keep_the_ledger_balanced_and_the_trail_intact(
    app, reset_database, tmp_path, monkeypatch
) -> None:
    # ``app``: create_app registers what the areas add to the verifiers (the orders' reconciliation)
    machine = make_machine(reset_database, tmp_path / "uploads", monkeypatch)
    REACHED.clear()
    run_state_machine_as_test(machine, settings=settings.get_profile(PROFILE))
    print("reached:", dict(sorted(REACHED.items())))
    for wanted in (
        "grant",
        "place",
        "confirm",
        "cancel",
        "approve_refund",
        "submit_claim",
        "disburse_claim",
        "send_payment_request",
        "suspend",
        "reinstate",
    ):
        assert REACHED.get(wanted), f"no run reached {wanted}: {REACHED}"
