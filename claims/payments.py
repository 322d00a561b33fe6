"""资金拨付: paying an approved claim. ``pay_claim`` is the one place a claim's money moves when it is
paid — its vouchers from "claimed" to "disbursed", what the reviewers deducted back to the programme's
budget — used by the finance bureau's payment of one claim (``disburse_claim``) and by the transfer of a
payment request (``claims.payment_requests.transfer_payment_request``). The authority no longer records
payments: the finance bureau (财政局) of the programme's jurisdiction does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from claims import recoveries
from claims.commands import DisbursementInput
from claims.dates import programmes_of
from claims.deductions import deducted_by_wallet
from claims.models import Claim
from claims.services import amounts_by_wallet, claim_for, parties
from claims.states import CLAIM
from orders import voucher_issue
from orgs.sanctions import ensure_not_sanctioned
from shop import clock, policy
from shop.accounts import User
from shop.audit import change_state
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.money import format_fen
from shop.states import Role
from wallet import ledger
from wallet.models import Programme

# what the authority (or anyone else) is told when it tries to record a payment
PAYMENT_REFUSED = _l(
    "The finance bureau records payments: send the approved claims to it in a payment request (拨付申请)."
)


def pay_claim(session: Session, claim: Claim, actor: User, paid_on: dt.date, reference: str) -> None:
    """Pay an approved claim: per wallet of its orders, its vouchers less the deductions move from
    "claimed" to "disbursed" and the deductions (扣减) go back to the programme's budget; the claim is
    disbursed with the reference and the day (the audit entry publishes it, ``oversight``). The caller
    has checked the actor, the day and the sanctions; never commits."""
    recoveries.lock_open_recoveries(session, claim.provider_id)  # before any account (lock order)
    deducted = deducted_by_wallet(claim.live_items)
    for (book, year, enterprise_id), value in amounts_by_wallet(claim.live_items).items():
        wallet = ledger.book_of(session, book, year)
        less = deducted.get((book, year, enterprise_id), 0)
        if value - less:
            ledger.disburse_vouchers(
                session, wallet, enterprise_id, value - less, ref=("claim", claim.id), actor_id=actor.id
            )
        if less:  # 扣减: back to the programme's budget
            ledger.deduct_vouchers(session, wallet, enterprise_id, less, ref=("claim", claim.id), actor_id=actor.id)
    # 追回 set-off: what the provider still owes on open recoveries of these programmes is kept back from
    # this payment (recovering → budget); disbursed_fen stays the payable, claim.set_off_fen says how
    # much of it was set off (transferred = disbursed_fen − set_off_fen)
    recoveries.set_off_against(session, claim, actor)
    voucher_issue.mark_redeemed(session, [item.order_id for item in claim.live_items], actor)
    change_state(
        session,
        claim,
        CLAIM,
        "disburse_claim",
        actor,
        subject_type="claim",
        disbursement_reference=reference,
        disbursed_on=paid_on,
        disbursed_fen=claim.payable_fen,
        disbursed_at=clock.now(),
        disbursed_by_id=actor.id,
    )


def ensure_finance(actor: User) -> None:
    if actor.role != Role.FINANCE:
        raise Forbidden(PAYMENT_REFUSED)


def covers_programmes(session: Session, actor: User, programme_ids: list[int]) -> bool:
    """Whether ``actor``'s jurisdiction covers every one of the programmes (a finance bureau pays for
    the programmes of its jurisdiction; an authority sends their requests)."""
    if not programme_ids:
        return actor.oversees(policy.current().province_prefix)
    jurisdictions = session.scalars(select(Programme.jurisdiction).where(Programme.id.in_(programme_ids)))
    return all(actor.oversees(code) for code in jurisdictions)


def check_paid_on(paid_on: dt.date, earliest: dt.date | None, earliest_message: str) -> None:
    """A day paid is not in the future nor before ``earliest`` (the approval, the request's sending)."""
    if paid_on > clock.today():
        raise DomainError("validation_error", _l("The payment date cannot be in the future."), field="paid_on")
    if earliest is not None and paid_on < earliest:
        raise DomainError("validation_error", earliest_message, field="paid_on")


@use_case
def disburse_claim(session: Session, actor: User, claim_id: int, command: DisbursementInput) -> Claim:
    """资金拨付: the finance bureau of the claim's programmes records the payment of an approved claim
    that is in no payment request (reference, date, amount — the approved total less the deductions)."""
    ensure_finance(actor)
    claim = claim_for(session, actor, claim_id, lock=True)
    if not covers_programmes(session, actor, programmes_of(session, claim)):
        raise NotFound()
    CLAIM.next(claim.status, "disburse_claim")
    if claim.payment_request_id is not None:
        raise DomainError(
            "invalid_state",
            _l(
                "The claim is in payment request #%(id)d: record the transfer of the request.",
                id=claim.payment_request_id,
            ),
        )
    ensure_not_sanctioned(session, *parties(claim))
    paid_on = command.paid_on or clock.today()
    approved_on = clock.china_date(claim.authority_decided_at)
    check_paid_on(
        paid_on,
        approved_on,
        _l(
            "The payment date cannot be before the authority approved the claim (%(day)s).",
            day=approved_on.isoformat() if approved_on else "",
        ),
    )
    if command.amount_fen is not None and command.amount_fen != claim.payable_fen:
        raise DomainError(
            "validation_error",
            _l(
                "The approved total is %(total)s: record the payment of that amount.",
                total=format_fen(claim.payable_fen),
            ),
            field=command.amount_field,
        )
    pay_claim(session, claim, actor, paid_on, command.reference)
    session.commit()
    return claim
