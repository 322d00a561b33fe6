"""The double-entry voucher ledger (django-oscar-accounts style).

Every movement of vouchers is one ``LedgerEntry`` with two postings that sum to zero; entries and
postings are append-only (database triggers). Each account's ``balance_fen`` moves in the same
transaction with a conditional UPDATE (``… WHERE balance_fen >= :amount``), so a balance never goes
negative, also under concurrent requests on PostgreSQL (row locks) and SQLite (BEGIN IMMEDIATE).
Accounts are updated in id order, so two transfers never deadlock.

The functions take the session and never commit: the use case that calls them does. The orders
and claims work post through the functions at the end of this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop import clock
from shop.errors import DomainError
from shop.i18n import _l
from shop.policy import year_end
from wallet.models import LedgerAccount, LedgerEntry, LedgerPosting, Programme, QuotaApplication
from wallet.states import AccountKind, ApplicationStatus


class InsufficientVouchers(DomainError):
    """A debit larger than the account holds (the caller decides what it means to a person)."""

    def __init__(self, account_code: str, amount_fen: int) -> None:
        super().__init__("invalid_state", _l("Not enough vouchers for this movement."))
        self.account_code = account_code
        self.amount_fen = amount_fen


def account_code(kind: AccountKind, year: int, organisation_id: int | None = None) -> str:
    return f"{kind.value}:{year}" + (f":{organisation_id}" if organisation_id is not None else "")


def account(session: Session, kind: AccountKind, year: int, organisation_id: int | None = None) -> LedgerAccount:
    """The account, created on first use (a parallel creation of the same account is resolved by
    its unique code)."""
    code = account_code(kind, year, organisation_id)
    found = session.scalars(select(LedgerAccount).where(LedgerAccount.code == code)).one_or_none()
    if found is not None:
        return found
    created = LedgerAccount(code=code, kind=kind, year=year, organisation_id=organisation_id, balance_fen=0)
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:
        return session.scalars(select(LedgerAccount).where(LedgerAccount.code == code)).one()
    return created


def transfer(
    session: Session,
    source: LedgerAccount,
    target: LedgerAccount,
    amount_fen: int,
    *,
    kind: str,
    year: int,
    ref: tuple[str, int] | None = None,
    memo: str | None = None,
    actor_id: int | None = None,
) -> LedgerEntry:
    """Move ``amount_fen`` from ``source`` to ``target`` as one entry; refuse with
    ``InsufficientVouchers`` when the source holds less (the source account of public money aside)."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValueError("a transfer moves a positive whole number of fen")
    if source.id is None or target.id is None:
        session.flush()
    for acc in sorted((source, target), key=lambda a: a.id):
        if acc is source:
            stmt = (
                update(LedgerAccount)
                .where(LedgerAccount.id == source.id)
                .values(balance_fen=LedgerAccount.balance_fen - amount_fen)
            )
            if source.kind != AccountKind.SOURCE:
                stmt = stmt.where(LedgerAccount.balance_fen >= amount_fen)
            if session.execute(stmt.execution_options(synchronize_session=False)).rowcount != 1:
                raise InsufficientVouchers(source.code, amount_fen)
        else:
            session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.id == target.id)
                .values(balance_fen=LedgerAccount.balance_fen + amount_fen)
                .execution_options(synchronize_session=False)
            )
    session.expire(source, ["balance_fen"])
    session.expire(target, ["balance_fen"])
    entry = LedgerEntry(
        at=clock.now(),
        kind=kind,
        year=year,
        ref_type=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        memo=memo,
        actor_id=actor_id,
    )
    entry.postings = [
        LedgerPosting(account_id=source.id, amount_fen=-amount_fen),
        LedgerPosting(account_id=target.id, amount_fen=amount_fen),
    ]
    session.add(entry)
    session.flush()
    return entry


def balance(session: Session, kind: AccountKind, year: int, organisation_id: int | None = None) -> int:
    code = account_code(kind, year, organisation_id)
    return session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.code == code)) or 0


def lock_account(session: Session, kind: AccountKind, year: int, organisation_id: int | None = None) -> LedgerAccount:
    """The account with its row locked until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    serialises writers), for a use case that must read a balance and act on it."""
    acc = account(session, kind, year, organisation_id)
    session.flush()
    return session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.id == acc.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# -- verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """An account (or, for ``granted``, the sum of an enterprise's wallet accounts of a year) whose
    ledger amount is not what the business rows say it must hold."""

    account: str  # an account code, e.g. in_orders:2026:17, or granted:2026:17
    ledger_fen: int
    business_fen: int
    business: str  # what the business side summed


@dataclass(frozen=True)
class Check:
    """Accounts of ``kinds`` together, per (year, organisation), must hold what the business rows
    sum to under ``name`` (``business`` says what that sum is, for the person reading the report)."""

    name: str
    kinds: tuple[AccountKind, ...]
    business: str


# ``{check name: {(year, organisation_id or None): fen}}`` from a few GROUP BY queries
BusinessSums = Callable[[Session], Mapping[str, Mapping[tuple[int, int | None], int]]]


@dataclass
class LedgerReport:
    entries: int
    unbalanced_entries: list[int]
    mismatched_accounts: list[tuple[str, int, int]]  # code, stored balance, sum of postings
    negative_accounts: list[tuple[str, int]]
    differences: list[Difference] = field(default_factory=list)  # ledger against the business rows
    compared_keys: list[tuple[str, int, int | None]] = field(default_factory=list)  # (check, year, organisation)

    @property
    def compared(self) -> list[str]:
        """Every account (or sum of accounts) held against the business rows."""
        return [_code(name, year, org) for name, year, org in self.compared_keys]

    @property
    def ok(self) -> bool:
        return not (self.unbalanced_entries or self.mismatched_accounts or self.negative_accounts or self.differences)


# The business side of the reconciliation. The wallet's own rows (programmes, quota applications) are
# summed here; the orders and claims are not the wallet's to read (imports flow wallet ← orders), so
# that area registers its sums with ``reconcile_with`` from its ``init_app``, the way the catalogue
# gets its voucher ratios through ``shop.hooks``. A check the business side registers is thus part of
# ``verify`` wherever the ledger is verified: ``ledger-verify``, and the check after every test.
_reconciliations: dict[str, tuple[tuple[Check, ...], BusinessSums]] = {}


def reconcile_with(area: str, checks: Sequence[Check], sums: BusinessSums) -> None:
    """Have ``verify`` hold the accounts of each check against ``sums`` (one registration per area: a
    second one replaces the first)."""
    _reconciliations[area] = (tuple(checks), sums)


def verify(session: Session) -> LedgerReport:
    """``flask --app shop ledger-verify``: every entry sums to zero, every balance equals its postings
    and none is negative; and every account the business rows account for holds what they say.

    A ledger consistent with itself can still be wrong: a posting moved from ``disbursed`` to
    ``available`` with both balances adjusted, or an order written after its vouchers went back to the
    wallet, both pass the first checks (review M5, H1). So each wallet's in-orders, claimed and
    disbursed balances are compared with its orders, checkouts and claims, its reservation and grant
    with its quota application, and the budget with the programme. Each side is a handful of GROUP BY
    queries, whatever the number of orders."""
    unbalanced = list(
        session.scalars(
            select(LedgerPosting.entry_id)
            .group_by(LedgerPosting.entry_id)
            .having(func.sum(LedgerPosting.amount_fen) != 0)
        )
    )
    sums = (
        select(LedgerPosting.account_id, func.sum(LedgerPosting.amount_fen).label("total"))
        .group_by(LedgerPosting.account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            LedgerAccount.code,
            LedgerAccount.balance_fen,
            LedgerAccount.kind,
            func.coalesce(sums.c.total, 0),
            LedgerAccount.year,
            LedgerAccount.organisation_id,
        ).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    ).all()
    mismatched = [(code, stored, int(total)) for code, stored, _kind, total, _y, _o in rows if stored != int(total)]
    negative = [
        (code, stored) for code, stored, kind, _total, _y, _o in rows if kind != AccountKind.SOURCE and stored < 0
    ]
    entries = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    report = LedgerReport(entries, unbalanced, mismatched, negative)
    balances = {(kind, year, org): stored for _code, stored, kind, _total, year, org in rows}
    _reconcile(session, balances, report)
    return report


def _reconcile(
    session: Session, balances: Mapping[tuple[AccountKind, int, int | None], int], report: LedgerReport
) -> None:
    found: list[tuple[tuple[int, int, int], Difference]] = []
    by_kind: dict[AccountKind, dict[tuple[int, int | None], int]] = defaultdict(dict)
    for (kind, year, org), stored in balances.items():
        by_kind[kind][(year, org)] = stored
    order = 0
    for checks, sums in [(_WALLET_CHECKS, _wallet_sums), *_reconciliations.values()]:
        business_sums = sums(session)
        for check in checks:
            ledger_side: dict[tuple[int, int | None], int] = defaultdict(int)
            for kind in check.kinds:
                for key, stored in by_kind.get(kind, {}).items():
                    ledger_side[key] += stored
            business_side = business_sums.get(check.name, {})
            for year, org in set(ledger_side) | set(business_side):
                report.compared_keys.append((check.name, year, org))
                in_ledger, in_business = ledger_side.get((year, org), 0), int(business_side.get((year, org), 0))
                if in_ledger != in_business:
                    found.append(
                        (
                            (year, org or 0, order),
                            Difference(_code(check.name, year, org), in_ledger, in_business, check.business),
                        )
                    )
            order += 1
    report.differences = [difference for _key, difference in sorted(found, key=lambda f: f[0])]


def _code(name: str, year: int, organisation_id: int | None) -> str:
    return f"{name}:{year}" + (f":{organisation_id}" if organisation_id is not None else "")


_WALLET_CHECKS = (
    Check("source", (AccountKind.SOURCE,), "minus the programme's budget"),
    Check("budget", (AccountKind.BUDGET,), "the programme's budget less pending reservations and grants"),
    Check("reserved", (AccountKind.RESERVED,), "the reservation of the pending quota application"),
    Check(
        "granted",
        (AccountKind.AVAILABLE, AccountKind.IN_ORDERS, AccountKind.CLAIMED, AccountKind.DISBURSED, AccountKind.EXPIRED),
        "the granted quota (available + in orders + claimed + disbursed + expired)",
    ),
)


def _wallet_sums(session: Session) -> dict[str, dict[tuple[int, int | None], int]]:
    """The quota side: one GROUP BY over the applications, one read of the programmes."""
    pending: dict[tuple[int, int | None], int] = {}
    granted: dict[tuple[int, int | None], int] = {}
    committed: dict[int, int] = defaultdict(int)
    for year, org, status, reserved, granted_fen in session.execute(
        select(
            QuotaApplication.year,
            QuotaApplication.organisation_id,
            QuotaApplication.status,
            func.sum(QuotaApplication.reserved_fen),
            func.sum(QuotaApplication.granted_fen),
        )
        .where(QuotaApplication.status.in_([ApplicationStatus.PENDING, ApplicationStatus.GRANTED]))
        .group_by(QuotaApplication.year, QuotaApplication.organisation_id, QuotaApplication.status)
    ):
        amount = int(reserved if status == ApplicationStatus.PENDING else granted_fen)
        (pending if status == ApplicationStatus.PENDING else granted)[(year, org)] = amount
        committed[year] += amount
    budgets = {year: int(budget) for year, budget in session.execute(select(Programme.year, Programme.budget_fen))}
    return {
        "source": {(year, None): -budget for year, budget in budgets.items()},
        "budget": {(year, None): budget - committed.get(year, 0) for year, budget in budgets.items()},
        "reserved": pending,
        "granted": granted,
    }


# -- the movements of the programme --------------------------------------------------------------------


def fund_programme(session: Session, year: int, amount_fen: int, actor_id: int | None) -> None:
    transfer(
        session,
        account(session, AccountKind.SOURCE, year),
        account(session, AccountKind.BUDGET, year),
        amount_fen,
        kind="fund_programme",
        year=year,
        ref=("programme", year),
        actor_id=actor_id,
    )


def defund_programme(session: Session, year: int, amount_fen: int, actor_id: int | None) -> None:
    """Lower the budget; refused (InsufficientVouchers) below what is already reserved or granted."""
    transfer(
        session,
        account(session, AccountKind.BUDGET, year),
        account(session, AccountKind.SOURCE, year),
        amount_fen,
        kind="defund_programme",
        year=year,
        ref=("programme", year),
        actor_id=actor_id,
    )


def reserve_quota(
    session: Session, year: int, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    transfer(
        session,
        account(session, AccountKind.BUDGET, year),
        account(session, AccountKind.RESERVED, year, organisation_id),
        amount_fen,
        kind="reserve_quota",
        year=year,
        ref=("quota_application", application_id),
        actor_id=actor_id,
    )


def grant_quota(
    session: Session, year: int, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    """The reservation becomes the enterprise's wallet (or expired, when its year has already ended)."""
    transfer(
        session,
        account(session, AccountKind.RESERVED, year, organisation_id),
        account(session, _available_or_expired(year), year, organisation_id),
        amount_fen,
        kind="grant_quota",
        year=year,
        ref=("quota_application", application_id),
        actor_id=actor_id,
    )


def release_reservation(
    session: Session, year: int, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    transfer(
        session,
        account(session, AccountKind.RESERVED, year, organisation_id),
        account(session, AccountKind.BUDGET, year),
        amount_fen,
        kind="release_reservation",
        year=year,
        ref=("quota_application", application_id),
        actor_id=actor_id,
    )


def _available_or_expired(year: int) -> AccountKind:
    return AccountKind.EXPIRED if clock.today() > year_end(year) else AccountKind.AVAILABLE


def expire_year(session: Session, year: int) -> int:
    """Move every enterprise's unused vouchers of ``year`` to expired; returns the fen expired."""
    rows = session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.kind == AccountKind.AVAILABLE, LedgerAccount.year == year, LedgerAccount.balance_fen > 0)
        .order_by(LedgerAccount.id)
    ).all()
    total = 0
    for acc in rows:
        amount = acc.balance_fen
        transfer(
            session,
            acc,
            account(session, AccountKind.EXPIRED, year, acc.organisation_id),
            amount,
            kind="expire",
            year=year,
            ref=("organisation", acc.organisation_id),
        )
        total += amount
    return total


# -- for orders and claims (issues 5 and 6) -------------------------------------------------------------


def hold_vouchers(
    session: Session, year: int, enterprise_id: int, amount_fen: int, *, ref: tuple[str, int], actor_id: int | None
) -> None:
    """Checkout: vouchers leave the wallet and are held by the checkout or order ``ref``."""
    transfer(
        session,
        account(session, AccountKind.AVAILABLE, year, enterprise_id),
        account(session, AccountKind.IN_ORDERS, year, enterprise_id),
        amount_fen,
        kind="hold_for_order",
        year=year,
        ref=ref,
        actor_id=actor_id,
    )


def release_vouchers(
    session: Session,
    year: int,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
    kind: str = "release_order",
) -> None:
    """Cancellation, refund or a failed payment: held vouchers go back to the wallet, or to expired
    when their year has ended (a returned voucher of an expired year is not spendable again)."""
    transfer(
        session,
        account(session, AccountKind.IN_ORDERS, year, enterprise_id),
        account(session, _available_or_expired(year), year, enterprise_id),
        amount_fen,
        kind=kind,
        year=year,
        ref=ref,
        actor_id=actor_id,
    )


def claim_vouchers(
    session: Session, year: int, enterprise_id: int, amount_fen: int, *, ref: tuple[str, int], actor_id: int | None
) -> None:
    """A provider's redemption claim takes the order's vouchers: in orders → claimed."""
    transfer(
        session,
        account(session, AccountKind.IN_ORDERS, year, enterprise_id),
        account(session, AccountKind.CLAIMED, year, enterprise_id),
        amount_fen,
        kind="claim",
        year=year,
        ref=ref,
        actor_id=actor_id,
    )


def unclaim_vouchers(
    session: Session, year: int, enterprise_id: int, amount_fen: int, *, ref: tuple[str, int], actor_id: int | None
) -> None:
    """A claim rejected, or an order taken out of it: claimed → back in orders (claimable again)."""
    transfer(
        session,
        account(session, AccountKind.CLAIMED, year, enterprise_id),
        account(session, AccountKind.IN_ORDERS, year, enterprise_id),
        amount_fen,
        kind="unclaim",
        year=year,
        ref=ref,
        actor_id=actor_id,
    )


def disburse_vouchers(
    session: Session, year: int, enterprise_id: int, amount_fen: int, *, ref: tuple[str, int], actor_id: int | None
) -> None:
    """The authority paid the provider: claimed → disbursed."""
    transfer(
        session,
        account(session, AccountKind.CLAIMED, year, enterprise_id),
        account(session, AccountKind.DISBURSED, year, enterprise_id),
        amount_fen,
        kind="disburse",
        year=year,
        ref=ref,
        actor_id=actor_id,
    )
