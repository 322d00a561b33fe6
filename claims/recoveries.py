"""追回 (Liuzhou 第二十三条, Baiyun 第二十条, POLICY.md "What every programme needs"): staff open a
recovery against a paid claim (fraud, a voided voucher) with an amount and a reason; it is settled by
recorded repayments or set off against the same provider's next payment.

- Who: an operator or an authority whose jurisdiction covers the claim's programme (their common
  prefix when the claim spent vouchers of several); any other staff are told it does not exist (404),
  a provider or an enterprise is refused (403). The provider reads its recoveries on its claim page.
- How much: at most what the claim paid (its payable, ``disbursed_fen``) less what is already under
  recovery for it; the amount is taken from the claim's wallets in order (``RecoveryPart``).
- Ledger (``wallet.ledger_recovery``): opening, disbursed → recovering, per wallet; a repayment or a
  set-off, recovering → the programme's budget. ``claims.reconciliation`` derives ``recovering`` from
  the open parts for ``ledger-verify``.
- Set-off (``set_off_against``): when the provider's next claim of the same programme is paid, what it
  still owes there is deducted from the transfer: ``Claim.disbursed_fen`` stays the payable, and
  ``Claim.set_off_fen`` says how much of it settled recoveries (transferred = the difference).
- A recovery for fraud may ban the provider (``ban``): the blacklist for the programme's
  ``ban_years`` (``orgs.blacklist``), permanent where a programme gives no term.

Each use case commits; ``set_off_against`` is a helper of the payment and never does.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from claims.commands import RecoveryInput, RepaymentInput
from claims.dates import programmes_of, rules_of_claim
from claims.deductions import deducted_by_wallet
from claims.models import Claim
from claims.recovery_models import Recovery, RecoveryPart, RecoverySettlement
from claims.services import amounts_by_wallet, claim_for
from claims.states import RECOVERY, ClaimStatus, RecoverySettlementKind, RecoveryStatus
from orgs import blacklist
from shop import clock, policy
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.jurisdictions import under
from shop.money import format_fen
from shop.pagination import Page, paginate
from shop.states import Role
from wallet import ledger, ledger_recovery
from wallet.models import Programme

STAFF = (Role.OPERATOR, Role.AUTHORITY, Role.FINANCE)  # the finance bureau records repayments too
OPENERS = (Role.OPERATOR, Role.AUTHORITY)  # who opens a recovery (and bans)
Wallet = tuple[str, int, int]  # (book, year, enterprise)


def _staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden()


def jurisdiction_of(session: Session, claim: Claim) -> str:
    """The jurisdiction of the claim's programmes (their common prefix), the province's without one."""
    codes = [
        session.scalar(select(Programme.jurisdiction).where(Programme.id == i)) for i in programmes_of(session, claim)
    ]
    codes = [c for c in codes if c]
    return os.path.commonprefix(codes) if codes else policy.current().province_prefix


def may_recover(session: Session, actor: User, claim: Claim) -> bool:
    """Whether ``actor`` may open a recovery against ``claim`` (the claim page's form)."""
    return (
        actor.role in OPENERS
        and claim.status == ClaimStatus.DISBURSED
        and actor.oversees(jurisdiction_of(session, claim))
        and recoverable_fen(session, claim) > 0
    )


def paid_by_wallet(claim: Claim) -> dict[Wallet, int]:
    """What the claim paid per wallet: its vouchers less the deductions."""
    deducted = deducted_by_wallet(claim.live_items)
    paid = {key: value - deducted.get(key, 0) for key, value in amounts_by_wallet(claim.live_items).items()}
    return {key: value for key, value in paid.items() if value > 0}


def _under_recovery(session: Session, claim_id: int) -> dict[Wallet, int]:
    rows = session.execute(
        select(
            RecoveryPart.voucher_book, RecoveryPart.voucher_year, RecoveryPart.enterprise_id, RecoveryPart.amount_fen
        )
        .join(Recovery, Recovery.id == RecoveryPart.recovery_id)
        .where(Recovery.claim_id == claim_id)
    ).all()
    found: dict[Wallet, int] = {}
    for book, year, enterprise_id, amount in rows:
        key = (book or str(year), year, enterprise_id)
        found[key] = found.get(key, 0) + int(amount)
    return found


def recoverable_fen(session: Session, claim: Claim) -> int:
    """What may still be recovered of a paid claim: what it paid less what is under recovery already."""
    if claim.status != ClaimStatus.DISBURSED:
        return 0
    total = session.scalar(select(func.sum(Recovery.amount_fen)).where(Recovery.claim_id == claim.id)) or 0
    return (claim.disbursed_fen or 0) - int(total)


def _ban_ends_on(session: Session, claim: Claim) -> dt.date | None:
    """The end of the provider's ban under the claim's programmes: the longest term, none (permanent)
    where one programme gives none."""
    terms = [rules.ban_years for rules in rules_of_claim(session, claim)]
    if not terms or any(t is None for t in terms):
        return None
    return blacklist.ban_ends_on(clock.today(), max(t for t in terms if t is not None))


@use_case
def open_recovery(session: Session, actor: User, claim_id: int, command: RecoveryInput) -> Recovery:
    """追回: open a recovery against a paid claim (its amount moves from disbursed to recovering) and,
    when asked, ban its provider for the programme's term."""
    if actor.role not in OPENERS:
        raise Forbidden()
    claim = claim_for(session, actor, claim_id, lock=True)
    jurisdiction = jurisdiction_of(session, claim)
    if not actor.oversees(jurisdiction):
        raise NotFound()
    if claim.status != ClaimStatus.DISBURSED:
        raise DomainError("invalid_state", _l("Only a paid claim can be recovered."))
    left = recoverable_fen(session, claim)
    if command.amount_fen > left:
        raise ValidationError(
            {
                command.amount_field: [
                    _l(
                        "At most what the claim paid less what is already under recovery: %(amount)s.",
                        amount=format_fen(left),
                    )
                ]
            }
        )
    recovery = Recovery(
        claim_id=claim.id,
        organisation_id=claim.provider_id,
        jurisdiction=jurisdiction,
        amount_fen=command.amount_fen,
        reason=command.reason,
        opened_by_id=actor.id,
        opened_at=clock.now(),
        banned=False,
    )
    session.add(recovery)
    session.flush()
    taken = _under_recovery(session, claim.id)
    rest = command.amount_fen
    for (book, year, enterprise_id), paid in paid_by_wallet(claim).items():
        part = min(rest, paid - taken.get((book, year, enterprise_id), 0))
        if part <= 0:
            continue
        session.add(
            RecoveryPart(
                recovery_id=recovery.id,
                voucher_book=None if book == str(year) else book,
                voucher_year=year,
                enterprise_id=enterprise_id,
                amount_fen=part,
            )
        )
        wallet = ledger.book_of(session, book, year)
        ledger_recovery.recover_vouchers(
            session, wallet, enterprise_id, part, ref=("recovery", recovery.id), actor_id=actor.id
        )
        rest -= part
    if rest:  # the claim's items no longer account for its payment: refuse rather than guess
        raise DomainError("invalid_state", _l("The claim's paid orders do not cover this amount."))
    if command.ban and not blacklist.is_blacklisted(session, claim.provider.uscc):
        ends_on = _ban_ends_on(session, claim)
        blacklist.blacklist_uscc(session, actor, claim.provider.uscc, command.reason, ends_on, roles=STAFF)
        recovery.banned = True
    session.flush()
    after = {**recovery.audit_state(), "reason": recovery.reason, "banned": recovery.banned}
    record(session, actor, "recovery", recovery.id, "open_recovery", None, after)
    record(session, actor, "claim", claim.id, "open_recovery", None, {"recovery_id": recovery.id, **after})
    session.commit()
    return recovery


def _settle(session: Session, recovery: Recovery, amount_fen: int, actor: User | None, *, set_off: bool) -> None:
    """Bring ``amount_fen`` of what is owed back to the budget, part after part (recovering → budget)."""
    rest = amount_fen
    for part in recovery.parts:
        share = min(rest, part.owed_fen)
        if share <= 0:
            continue
        wallet = ledger.book_of(session, part.voucher_book, part.voucher_year)
        ledger_recovery.settle_recovery(
            session,
            wallet,
            part.enterprise_id,
            share,
            set_off=set_off,
            ref=("recovery", recovery.id),
            actor_id=actor.id if actor else None,
        )
        part.settled_fen += share
        rest -= share


def _settled_if_nothing_owed(session: Session, recovery: Recovery, actor: User | None) -> None:
    if recovery.owed_fen == 0:
        change_state(
            session, recovery, RECOVERY, "settle_recovery", actor, subject_type="recovery", settled_at=clock.now()
        )


def staff_recovery(session: Session, actor: User, recovery_id: int, *, lock: bool = False) -> Recovery:
    """The recovery, for staff whose jurisdiction covers it; to others it does not exist."""
    _staff(actor)
    stmt = select(Recovery).where(Recovery.id == recovery_id)
    if lock:
        stmt = stmt.with_for_update()
    recovery = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if recovery is None or not actor.oversees(recovery.jurisdiction):
        raise NotFound()
    return recovery


@use_case
def record_repayment(session: Session, actor: User, recovery_id: int, command: RepaymentInput) -> RecoverySettlement:
    """A repayment of (part of) a recovery with its bank reference and day: the amount goes back to the
    programme's budget; the recovery is settled when nothing is owed."""
    recovery = staff_recovery(session, actor, recovery_id, lock=True)
    RECOVERY.next(recovery.status, "record_repayment")
    if command.amount_fen > recovery.owed_fen:
        raise ValidationError(
            {command.amount_field: [_l("At most what is owed: %(amount)s.", amount=format_fen(recovery.owed_fen))]}
        )
    opened_on = clock.china_date(recovery.opened_at)
    if command.paid_on > clock.today() or (opened_on and command.paid_on < opened_on):
        raise ValidationError({"paid_on": [_l("Between the day the recovery was opened and today.")]})
    before = recovery.audit_state()
    _settle(session, recovery, command.amount_fen, actor, set_off=False)
    recovery.repaid_fen += command.amount_fen
    settlement = RecoverySettlement(
        recovery_id=recovery.id,
        kind=RecoverySettlementKind.REPAYMENT,
        amount_fen=command.amount_fen,
        reference=command.reference,
        paid_on=command.paid_on,
        recorded_by_id=actor.id,
        recorded_at=clock.now(),
    )
    session.add(settlement)
    session.flush()
    record(
        session,
        actor,
        "recovery",
        recovery.id,
        "record_repayment",
        before,
        {**recovery.audit_state(), **settlement.audit_state()},
    )
    _settled_if_nothing_owed(session, recovery, actor)
    session.commit()
    return settlement


def _budgets(wallets: Iterable[str]) -> set[str]:
    return {wallet.split("/", 1)[0] for wallet in wallets}


def lock_open_recoveries(session: Session, provider_id: int, *, lock: bool = True) -> list[Recovery]:
    """The provider's open recoveries, oldest first, locked and read afresh (``lock``). A payment takes
    them before it moves any money, as a repayment does (the recovery, then the accounts), so that a
    payment and a repayment never wait for each other's locks."""
    stmt = select(Recovery).where(Recovery.organisation_id == provider_id, Recovery.status == RecoveryStatus.OPEN)
    stmt = stmt.order_by(Recovery.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(stmt))


def _shares(claim: Claim, open_ones: Iterable[Recovery], owed: dict[int, int]) -> list[tuple[Recovery, int]]:
    """How much of the claim's payable settles each of the provider's open recoveries of the same
    programmes (oldest first), given what each still owes (``owed`` by recovery id, lowered here)."""
    budgets = _budgets(book for book, _year, _enterprise in paid_by_wallet(claim))
    left, shares = claim.payable_fen, []
    for recovery in open_ones:
        if left <= 0:
            break
        if not budgets & _budgets(part.wallet for part in recovery.parts if part.owed_fen):
            continue
        share = min(left, owed.get(recovery.id, 0))
        if share > 0:
            owed[recovery.id] -= share
            left -= share
            shares.append((recovery, share))
    return shares


def set_off_against(session: Session, claim: Claim, actor: User | None) -> int:
    """The provider's next payment settles what it still owes: of the claim's payable, as much as its
    open recoveries of the same programmes hold (oldest first) goes back to their budgets instead of
    being transferred. Records ``claim.set_off_fen``; returns it. Called by the payment of a claim
    before its status changes; never commits."""
    open_ones = lock_open_recoveries(session, claim.provider_id)
    total, settled = 0, []
    for recovery, share in _shares(claim, open_ones, {r.id: r.owed_fen for r in open_ones}):
        before = recovery.audit_state()
        _settle(session, recovery, share, actor, set_off=True)
        recovery.set_off_fen += share
        settlement = RecoverySettlement(
            recovery_id=recovery.id,
            kind=RecoverySettlementKind.SET_OFF,
            amount_fen=share,
            paid_on=clock.today(),
            claim_id=claim.id,
            recorded_by_id=actor.id if actor else None,
            recorded_at=clock.now(),
        )
        session.add(settlement)
        session.flush()
        after = {**recovery.audit_state(), **settlement.audit_state()}
        record(session, actor, "recovery", recovery.id, "set_off_recovery", before, after)
        _settled_if_nothing_owed(session, recovery, actor)
        total += share
        settled.append({"recovery_id": recovery.id, "amount_fen": share})
    if total:
        claim.set_off_fen = (claim.set_off_fen or 0) + total
        record(
            session,
            actor,
            "claim",
            claim.id,
            "set_off_claim",
            None,
            {"set_off_fen": claim.set_off_fen, "payable_fen": claim.payable_fen, "recoveries": settled},
        )
    return total


def set_off_preview(session: Session, claims: Iterable[Claim]) -> int:
    """What paying ``claims`` in turn would set off against their providers' open recoveries (read
    only): what the finance bureau keeps back of a payment request before it transfers the rest."""
    found: dict[int, tuple[list[Recovery], dict[int, int]]] = {}
    total = 0
    for claim in claims:
        if claim.provider_id not in found:
            rows = lock_open_recoveries(session, claim.provider_id, lock=False)
            found[claim.provider_id] = (rows, {r.id: r.owed_fen for r in rows})
        rows, owed = found[claim.provider_id]
        total += sum(share for _recovery, share in _shares(claim, rows, owed))
    return total


# -- reading ---------------------------------------------------------------------------------------------


def list_recoveries(
    session: Session, actor: User, page: int, per_page: int, *, status: RecoveryStatus | None = None
) -> Page[Recovery]:
    """Staff: the recoveries under their jurisdiction, open ones first, the latest first."""
    _staff(actor)
    stmt = select(Recovery).where(under(Recovery.jurisdiction, actor.jurisdiction))
    if status is not None:
        stmt = stmt.where(Recovery.status == status)
    stmt = stmt.order_by((Recovery.status == RecoveryStatus.SETTLED).asc(), Recovery.id.desc())
    return paginate(session, stmt, page, per_page)


def recoveries_of_claim(session: Session, actor: User, claim: Claim) -> list[Recovery]:
    """The recoveries against a claim the actor may read: its provider's members read them all (what
    it owes and why), staff those under their jurisdiction."""
    rows = list(session.scalars(select(Recovery).where(Recovery.claim_id == claim.id).order_by(Recovery.id)))
    if actor.belongs_to(claim.provider_id):
        return rows
    return [r for r in rows if actor.oversees(r.jurisdiction)]


def set_offs_of_claim(session: Session, claim_id: int) -> list[RecoverySettlement]:
    """What a claim's payment settled of earlier recoveries (its set-offs)."""
    return list(
        session.scalars(
            select(RecoverySettlement).where(RecoverySettlement.claim_id == claim_id).order_by(RecoverySettlement.id)
        )
    )


def owed_by(session: Session, organisation_id: int) -> int:
    """What a provider still owes over its open recoveries."""
    total = session.scalar(
        select(func.sum(Recovery.amount_fen - Recovery.repaid_fen - Recovery.set_off_fen)).where(
            Recovery.organisation_id == organisation_id, Recovery.status == RecoveryStatus.OPEN
        )
    )
    return int(total or 0)
