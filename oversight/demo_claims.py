"""Demo redemption claims (part of ``oversight.demo``, after ``oversight.demo_orders``).

For each demo provider and settlement date, a claim of its bulk orders goes through the claims' use
cases with its documents: the dates that have passed are reviewed twice and paid (one is rejected),
the coming date's is at a different step for each provider. Each is then dated to the settlement date
it belongs to (a demo cannot wait for the calendar), its disbursement notice too.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from claims import claimable, documents, payment_requests, reviews
from claims import services as claim_cases
from claims.commands import ClaimInput, DisbursementInput, DocumentInput, PaymentRequestInput
from claims.models import Claim, ClaimItem
from orders.models import CheckoutAttempt, Order
from orgs.demo import demo_org, demo_user
from oversight.demo_cast import BULK_KEY, PDF, PROVIDER_EMAILS, YEAR, china_time, date_notice
from oversight.models import NoticeEntry
from oversight.states import NoticeKind
from shop import clock
from shop.accounts import User
from shop.errors import DomainError
from shop.inputs import Decision, ReasonInput
from wallet.models import Programme


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
    finance = demo_user(session, "finance@yunquan.example")  # 财政厅: records the payments
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
                        finance,
                        rejected,
                        recent=(k == len(past) - 1 and key == "qianyun"),
                    )
                else:
                    _current_claim(session, claim, key, operator, authority, programme)
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
    finance: User,
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
        finance,
        claim.id,
        DisbursementInput.from_input({"reference": f"GZCZ-{YEAR}-{claim.id:05d}", "paid_on": paid_on.isoformat()}),
    )
    _date_claim(session, claim.id, day, decided=decided, paid=paid_on)


def _current_claim(
    session: Session, claim: Claim, key: str, operator: User, authority: User, programme: Programme
) -> None:
    """A claim for the coming settlement date, at a different step for each provider; the approved one
    is sent to the finance bureau in a payment request (拨付申请), waiting for its transfer."""
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
            ReasonInput.from_input({"reason": "该订单的发票金额与订单金额不一致，请更正后另行申请。"}),
        )
    reviews.review_claim(session, operator, claim.id, Decision(True))
    if key == "hangtian":
        reviews.review_claim(session, authority, claim.id, Decision(True))
        if claim.settlement_date is not None:
            payment_requests.create_payment_request(
                session, authority, PaymentRequestInput(programme.id, claim.settlement_date)
            )


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
