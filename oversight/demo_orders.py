"""Demo orders and redemption claims (part of ``oversight.demo``).

A few hundred orders spread over the weeks of the year up to today, each placed by a granted
enterprise with its vouchers held through ``wallet.ledger``, then confirmed, cancelled or refunded
through the order table (``change_state``, every step in the audit trail), backdated to their week.
Redemption claims go through the claims' use cases with their documents, and are then dated to the
settlement date they belong to (a demo cannot wait for the calendar).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from catalog.models import Product, ProductVersion
from claims import claimable, documents, reviews
from claims import services as claim_cases
from claims.commands import ClaimInput, DisbursementInput, DocumentInput, ExclusionInput
from claims.models import Claim, ClaimItem
from orders.agreement import CURRENT as CURRENT_AGREEMENT
from orders.models import CheckoutAttempt, Order, OrderLine
from orders.rules import LineInput, allocate_vouchers
from orders.states import ORDER, AttemptStatus, OrderStatus, PaymentStatus
from orgs.demo import demo_org, demo_user, make_uscc
from orgs.models import Organisation
from oversight.demo_cast import (
    BULK_KEY,
    ENTERPRISES,
    FIRST_DAY,
    LAST_DAY,
    PDF,
    PROVIDER_EMAILS,
    PROVIDER_HABITS,
    YEAR,
    china_time,
    date_notice,
)
from oversight.models import NoticeEntry
from oversight.states import NoticeKind
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.errors import DomainError
from shop.inputs import Decision
from wallet import ledger
from wallet.models import Programme
from wallet.states import AccountKind


@dataclass(frozen=True)
class _Offer:
    product_id: int
    version_id: int
    provider_id: int
    provider_key: str
    layer: str
    category: str
    price_fen: int
    unit: str
    accepts_vouchers: bool


def _offers(session: Session) -> list[_Offer]:
    keys = {demo_org(session, key).id: key for key in PROVIDER_EMAILS}
    rows = session.execute(
        select(
            Product.id,
            ProductVersion.id,
            Product.provider_id,
            ProductVersion.layer,
            ProductVersion.category,
            ProductVersion.price_fen,
            ProductVersion.unit,
            ProductVersion.accepts_vouchers,
        )
        .join(ProductVersion, ProductVersion.id == Product.published_version_id)
        .where(Product.provider_id.in_(keys))
        .order_by(Product.id)
    ).all()
    return [
        _Offer(
            pid, vid, prov, keys[prov], getattr(layer, "value", layer), getattr(cat, "value", cat), price, unit, accepts
        )
        for pid, vid, prov, layer, cat, price, unit, accepts in rows
    ]


def _quantity(rng: random.Random, offer: _Offer) -> int:
    if offer.unit == "月":
        return max(1, min(rng.choice([1, 3, 3, 6, 6, 12]), 2_000_000 // max(offer.price_fen, 1)))
    if offer.price_fen <= 5_000_00 and rng.random() < 0.3:
        return 2
    return 1


def seed_orders(
    session: Session, rng: random.Random, programme: Programme, granted: dict[int, dt.date], today: dt.date
) -> None:
    if session.scalar(select(exists().where(CheckoutAttempt.key.like(BULK_KEY + "%")))):
        return
    last = min(today - dt.timedelta(days=1), LAST_DAY)
    if last < FIRST_DAY + dt.timedelta(days=14) or not granted:
        return
    offers = [o for o in _offers(session) if o.price_fen <= 70_000_00]
    if not offers:
        return
    buyers = {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(granted)))}
    weights = {
        org_id: next((e.weight for e in ENTERPRISES if make_uscc(e.uscc17) == org.uscc), 1)
        for org_id, org in buyers.items()
    }
    available = {org_id: ledger.balance(session, AccountKind.AVAILABLE, YEAR, org_id) for org_id in buyers}
    sellers = {key: demo_user(session, email) for key, email in PROVIDER_EMAILS.items()}
    by_provider: dict[int, list[_Offer]] = defaultdict(list)
    for offer in offers:
        by_provider[offer.provider_id].append(offer)
    ratios = programme.ratios
    mondays = []
    monday = FIRST_DAY - dt.timedelta(days=FIRST_DAY.weekday())
    while monday <= last:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    number = 0
    for w, monday in enumerate(mondays):
        # adoption grows over the year: from about three orders a week to about eleven
        per_week = 3 + (8 * w) // max(len(mondays) - 1, 1) + rng.choice([-1, 0, 0, 1])
        for _ in range(max(per_week, 1)):
            day = monday + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5]))
            if day > last or day < FIRST_DAY:
                continue
            candidates = [i for i, d in granted.items() if d < day]
            if not candidates:
                continue
            buyer_id = rng.choices(candidates, [weights[i] for i in candidates])[0]
            first = rng.choice(offers)
            picked = [first]
            if rng.random() < 0.25:
                other = rng.choice(by_provider[first.provider_id])
                if other.product_id != first.product_id:
                    picked.append(other)
            number += 1
            placed_at = china_time(day, rng.randint(8, 19), rng.randint(0, 59))
            _bulk_order(session, rng, number, buyers[buyer_id], picked, ratios, available, sellers, placed_at, today)
    session.commit()


def _bulk_order(
    session: Session,
    rng: random.Random,
    number: int,
    buyer: Organisation,
    offers: list[_Offer],
    ratios: dict[str, int],
    available: dict[int, int],
    sellers: dict[str, User],
    placed_at: dt.datetime,
    today: dt.date,
) -> None:
    wanted = [
        LineInput(
            o.product_id, o.version_id, o.provider_id, o.layer, o.price_fen, _quantity(rng, o), o.accepts_vouchers
        )
        for o in offers
    ]
    priced = allocate_vouchers(wanted, ratios=ratios, available_fen=available[buyer.id], use_vouchers=True)
    available[buyer.id] -= sum(p.voucher_fen for p in priced)
    lines = [
        OrderLine(
            product_id=p.line.product_id,
            version_id=p.line.version_id,
            layer=offer.layer,
            category=offer.category,
            unit_price_fen=p.line.unit_price_fen,
            quantity=p.line.quantity,
            amount_fen=p.amount_fen,
            voucher_fen=p.voucher_fen,
        )
        for p, offer in zip(priced, offers, strict=False)
    ]
    total = sum(line.amount_fen for line in lines)
    voucher = sum(line.voucher_fen for line in lines)
    buyer_user = buyer.members[0]
    provider_key = offers[0].provider_key
    seller = sellers[provider_key]
    attempt = CheckoutAttempt(
        key=f"{BULK_KEY}{number}",
        request_hash="0" * 64,
        enterprise_id=buyer.id,
        user_id=buyer_user.id,
        status=AttemptStatus.COMPLETED,
        voucher_year=YEAR,
        voucher_fen=voucher,
        self_pay_fen=total - voucher,
        plan=[],
        intents={},
        agreement_version=CURRENT_AGREEMENT.version,
        agreement_accepted_at=placed_at,
        created_at=placed_at,
        updated_at=placed_at,
    )
    session.add(attempt)
    session.flush()
    order = Order(
        attempt_id=attempt.id,
        enterprise_id=buyer.id,
        provider_id=offers[0].provider_id,
        status=OrderStatus.PLACED,
        total_fen=total,
        voucher_fen=voucher,
        self_pay_fen=total - voucher,
        voucher_year=YEAR,
        payment_status=PaymentStatus.AUTHORISED if total > voucher else PaymentStatus.NONE,
        agreement_version=CURRENT_AGREEMENT.version,
        agreement_accepted_at=placed_at,
        placed_at=placed_at,
    )
    order.lines = lines
    session.add(order)
    session.flush()
    if voucher:
        ledger.hold_vouchers(session, YEAR, buyer.id, voucher, ref=("order", order.id), actor_id=buyer_user.id)
    record(
        session,
        buyer_user,
        "order",
        order.id,
        "place",
        None,
        {**order.audit_state(), "total_fen": total, "provider_id": order.provider_id, "note": "demo data"},
    )

    (low, high), refund_share = PROVIDER_HABITS[provider_key]
    age = (today - clock.china_date(placed_at)).days
    roll = rng.random()
    if age < 5 and roll < 0.45:  # still waiting for the provider, within the confirmation deadline
        return
    if roll > 0.94:
        _move(
            session,
            order,
            "cancel",
            buyer_user,
            cancelled_at=placed_at + dt.timedelta(hours=rng.randint(1, 20)),
            payment_status=PaymentStatus.VOIDED if order.self_pay_fen else order.payment_status,
        )
        if voucher:
            ledger.release_vouchers(session, YEAR, buyer.id, voucher, ref=("order", order.id), actor_id=buyer_user.id)
            available[buyer.id] += voucher
        return
    confirmed_at = placed_at + dt.timedelta(minutes=rng.randint(low * 60, high * 60))
    _move(
        session,
        order,
        "confirm",
        seller,
        confirmed_at=confirmed_at,
        payment_status=PaymentStatus.CAPTURED if order.self_pay_fen else order.payment_status,
    )
    if age > 12 and rng.random() < refund_share:
        asked = confirmed_at + dt.timedelta(days=rng.randint(1, 6))
        _move(
            session,
            order,
            "request_refund",
            buyer_user,
            refund_requested_at=asked,
            refund_reason="服务开通后性能达不到合同约定的指标，申请退款。",
        )
        if rng.random() < 0.25:
            return  # the provider has not decided yet
        _move(
            session,
            order,
            "approve_refund",
            seller,
            refund_decided_at=asked + dt.timedelta(days=1),
            refund_decision_reason="同意退款。",
            payment_status=PaymentStatus.REFUNDED if order.self_pay_fen else order.payment_status,
        )
        if voucher:
            ledger.release_vouchers(session, YEAR, buyer.id, voucher, ref=("order", order.id), actor_id=seller.id)
            available[buyer.id] += voucher


def _move(session: Session, order: Order, action: str, actor: User, **changes: Any) -> None:
    change_state(session, order, ORDER, action, actor, subject_type="order", **changes)


# -- redemption claims ----------------------------------------------------------------------------------


def seed_claims(session: Session, rng: random.Random, programme: Programme, today: dt.date, upload_dir: str) -> None:
    bulk = (
        select(Order.id)
        .join(CheckoutAttempt, CheckoutAttempt.id == Order.attempt_id)
        .where(CheckoutAttempt.key.like(BULK_KEY + "%"))
    )
    if session.scalar(select(exists().where(ClaimItem.order_id.in_(bulk)))):
        return
    dates = sorted(d.day for d in programme.settlement_dates)
    operator = demo_user(session, "operator@yunquan.example")
    authority = demo_user(session, "authority@yunquan.example")
    invoice = iter(range(1, 10**6))
    current = next((d for d in dates if d >= today), None)
    past = [d for d in dates if d < today]
    for key, email in PROVIDER_EMAILS.items():
        seller = demo_user(session, email)
        provider = demo_org(session, key)
        windows = [(d, "paid") for d in past] + ([(current, "current")] if current else [])
        for k, (day, phase) in enumerate(windows):
            cutoff = min(day, today - dt.timedelta(days=3))
            orders = list(
                session.scalars(
                    claimable.claimable_query(provider.id)
                    .where(Order.id.in_(bulk), Order.confirmed_at < clock.china_midnight(cutoff))
                    .order_by(Order.id)
                )
            )
            if not orders:
                continue
            try:
                claim = _claim(session, seller, orders, upload_dir, invoice)
                if phase == "paid":
                    rejected = key == "zhudata" and k == 1
                    _paid_claim(
                        session,
                        claim,
                        day,
                        today,
                        operator,
                        authority,
                        rejected,
                        recent=(k == len(past) - 1 and key == "qianyun"),
                    )
                else:
                    _current_claim(session, claim, key, operator, authority)
            except DomainError as error:
                session.rollback()
                print(f"demo claim of {provider.name} skipped: {error.detail}", file=sys.stderr)


def _claim(session: Session, seller: User, orders: list[Order], upload_dir: str, invoice: Any) -> Claim:
    claim = claim_cases.create_claim(session, seller, ClaimInput.from_input({"order_ids": [o.id for o in orders]}))
    total = sum(o.total_fen for o in orders)
    for kind in ("invoice", "contract", "transfer", "usage"):
        data: dict[str, Any] = {"kind": kind}
        if kind == "invoice":
            data.update(invoice_number=f"52{YEAR}{claim.id:04d}{next(invoice):04d}", invoice_amount_fen=total)
        documents.add_claim_document(
            session, seller, claim.id, DocumentInput.from_input(data), (io.BytesIO(PDF), f"{kind}.pdf"), upload_dir
        )
    return claim


def _paid_claim(
    session: Session,
    claim: Claim,
    day: dt.date,
    today: dt.date,
    operator: User,
    authority: User,
    rejected: bool,
    recent: bool,
) -> None:
    """A claim of a settlement date that has passed: reviewed twice and paid (or rejected)."""
    seller_id = claim.created_by_id
    claim = claim_cases.submit_claim(session, session.get(User, seller_id), claim.id)
    if rejected:
        reviews.review_claim(
            session,
            operator,
            claim.id,
            Decision.from_input(
                {"decision": "reject", "reason": "部分订单的使用证明与合同约定的服务期不符，请核实后重新提交。"}
            ),
        )
        _date_claim(session, claim.id, day, decided=day + dt.timedelta(days=6))
        return
    reviews.review_claim(session, operator, claim.id, Decision(True))
    reviews.review_claim(session, authority, claim.id, Decision(True))
    paid_on = min(day + dt.timedelta(days=18), today - dt.timedelta(days=1))
    if recent:
        paid_on = max(day + dt.timedelta(days=1), today - dt.timedelta(days=2))
    decided = min(day + dt.timedelta(days=6), paid_on)
    _date_claim(session, claim.id, day, decided=decided)  # a payment is never dated before its approval
    reviews.disburse_claim(
        session,
        authority,
        claim.id,
        DisbursementInput.from_input({"reference": f"GZCZ-{YEAR}-{claim.id:05d}", "paid_on": paid_on.isoformat()}),
    )
    _date_claim(session, claim.id, day, decided=decided, paid=paid_on)


def _current_claim(session: Session, claim: Claim, key: str, operator: User, authority: User) -> None:
    """A claim for the coming settlement date, at a different step for each provider."""
    seller = session.get(User, claim.created_by_id)
    if key == "zhudata":
        return  # still a draft
    claim = claim_cases.submit_claim(session, seller, claim.id)
    if key == "qianyun":
        return
    if key == "yunshang" and len(claim.live_items) > 1:
        reviews.exclude_order(
            session,
            operator,
            claim.id,
            claim.live_items[-1].order_id,
            ExclusionInput.from_input({"reason": "该订单的发票金额与订单金额不一致，请更正后另行申请。"}),
        )
    reviews.review_claim(session, operator, claim.id, Decision(True))
    if key == "hangtian":
        reviews.review_claim(session, authority, claim.id, Decision(True))


def _date_claim(
    session: Session, claim_id: int, day: dt.date, *, decided: dt.date, paid: dt.date | None = None
) -> None:
    claim = session.get(Claim, claim_id)
    claim.settlement_date = day
    claim.created_at = china_time(day - dt.timedelta(days=9), 10)
    claim.submitted_at = china_time(day - dt.timedelta(days=7), 15)
    if claim.operator_decided_at:
        claim.operator_decided_at = china_time(decided - dt.timedelta(days=3), 11)
    if claim.authority_decided_at:
        claim.authority_decided_at = china_time(decided, 16)
    if paid is not None:
        claim.disbursed_at = china_time(paid, 14)
        entry = session.scalars(
            select(NoticeEntry).where(NoticeEntry.kind == NoticeKind.DISBURSEMENT, NoticeEntry.subject_id == claim.id)
        ).one_or_none()
        if entry is not None:
            date_notice(session, entry, paid)
    session.commit()
