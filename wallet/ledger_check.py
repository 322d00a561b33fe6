"""The ledger held against itself and against the business rows, for ``flask --app shop ledger-verify``.

``verify`` checks that every entry sums to zero, every balance equals its postings and none is
negative, and that each account the business rows account for holds what they say: the wallet's own
rows (programmes, quota applications) here, the orders' and claims' through ``reconcile_with``. The
movements themselves are ``wallet.ledger``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from wallet.models import LedgerAccount, LedgerEntry, LedgerPosting, Programme, QuotaApplication
from wallet.states import AccountKind, ApplicationStatus


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


# Changes another area makes to the wallet's own sums: a deduction of a paid claim (claims) moves
# vouchers out of an enterprise's wallet accounts back into the programme's budget.
_adjustments: dict[str, BusinessSums] = {}


def adjust_with(area: str, deltas: BusinessSums) -> None:
    """Add ``deltas`` ({check: {key: fen}}) to the wallet's sums (one registration per area)."""
    _adjustments[area] = deltas


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
            LedgerAccount.book,
            LedgerAccount.organisation_id,
        ).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    ).all()
    mismatched = [(code, stored, int(total)) for code, stored, _kind, total, _y, _o in rows if stored != int(total)]
    negative = [
        (code, stored) for code, stored, kind, _total, _y, _o in rows if kind != AccountKind.SOURCE and stored < 0
    ]
    entries = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    report = LedgerReport(entries, unbalanced, mismatched, negative)
    # a budget block (``<book>@<jurisdiction>``) is part of its programme's budget
    balances: dict[tuple[AccountKind, str, int | None], int] = defaultdict(int)
    for _code, stored, kind, _total, book, org in rows:
        balances[(kind, book.split("@", 1)[0] if org is None else book, org)] += stored
    _reconcile(session, balances, report)
    return report


def _reconcile(
    session: Session, balances: Mapping[tuple[AccountKind, str, int | None], int], report: LedgerReport
) -> None:
    found: list[tuple[tuple[str, int, int], Difference]] = []
    by_kind: dict[AccountKind, dict[tuple[str, int | None], int]] = defaultdict(dict)
    for (kind, year, org), stored in balances.items():
        by_kind[kind][(year, org)] = stored
    order = 0
    for checks, sums in [(_WALLET_CHECKS, _adjusted_wallet_sums), *_reconciliations.values()]:
        business_sums = sums(session)
        for check in checks:
            ledger_side: dict[tuple[str, int | None], int] = defaultdict(int)
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


def _code(name: str, year: str, organisation_id: int | None) -> str:
    return f"{name}:{year}" + (f":{organisation_id}" if organisation_id is not None else "")


_WALLET_CHECKS = (
    Check("source", (AccountKind.SOURCE,), "minus the programme's budget"),
    Check("budget", (AccountKind.BUDGET,), "the programme's budget less pending reservations and grants"),
    Check("reserved", (AccountKind.RESERVED,), "the reservation of the pending quota application"),
    Check(
        "granted",
        (
            AccountKind.AVAILABLE,
            AccountKind.IN_ORDERS,
            AccountKind.CLAIMED,
            AccountKind.DISBURSED,
            AccountKind.RECOVERING,
            AccountKind.EXPIRED,
        ),
        "the granted quota (available + in orders + claimed + disbursed + recovering + expired)",
    ),
)


def _adjusted_wallet_sums(session: Session) -> dict[str, dict[tuple[str, int | None], int]]:
    sums = _wallet_sums(session)
    for deltas in _adjustments.values():
        for check, changes in deltas(session).items():
            target = sums.setdefault(check, {})
            for key, delta in changes.items():
                target[key] = target.get(key, 0) + delta
    return sums


def _wallet_sums(session: Session) -> dict[str, dict[tuple[str, int | None], int]]:
    """The quota side, per book (``wallet.ledger.Book``): one GROUP BY over the applications, one
    read of the programmes. An application still undecided (pending, returned, in its notice or held
    by a 复核) holds its reservation; a grant holds what it granted less what it gave back."""
    held: dict[tuple[str, int | None], int] = defaultdict(int)
    granted: dict[tuple[str, int | None], int] = defaultdict(int)
    committed: dict[str, int] = defaultdict(int)
    year_book = Programme.book == cast(Programme.year, String)
    for book, year_wide, scheme, org, status, reserved, granted_fen, released in session.execute(
        select(
            Programme.book,
            year_book,
            QuotaApplication.scheme,
            QuotaApplication.organisation_id,
            QuotaApplication.status,
            func.sum(QuotaApplication.reserved_fen),
            func.sum(QuotaApplication.granted_fen),
            func.sum(QuotaApplication.released_fen),
        )
        .join(Programme, Programme.id == QuotaApplication.programme_id)
        .where(QuotaApplication.status != ApplicationStatus.REJECTED)
        .group_by(
            Programme.book,
            year_book,
            QuotaApplication.scheme,
            QuotaApplication.organisation_id,
            QuotaApplication.status,
        )
    ):
        wallet_book = book if year_wide and scheme == "default" else f"{book}/{scheme}"
        if status == ApplicationStatus.GRANTED:
            amount = int(granted_fen) - int(released)
            granted[(wallet_book, org)] += amount
        else:
            amount = int(reserved)
            held[(wallet_book, org)] += amount
        committed[book] += amount
    budgets = {book: int(budget) for book, budget in session.execute(select(Programme.book, Programme.budget_fen))}
    return {
        "source": {(book, None): -budget for book, budget in budgets.items()},
        "budget": {(book, None): budget - committed.get(book, 0) for book, budget in budgets.items()},
        "reserved": dict(held),
        "granted": dict(granted),
    }
