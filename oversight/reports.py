"""The figures of the oversight dashboard, the report API and its XLSX, and the provider scorecards.

Every figure is one aggregate query (GROUP BY, window functions), never a query per row: the
province has some 20,000 enterprises and a million orders a year. Budget figures are the year's
ledger balances by account kind; voucher figures are the order lines of live orders (placed,
confirmed or waiting for a refund decision: not cancelled, not refunded); claims figures are the
claims' items of the year. Times are grouped by the day in China: UTC+8 all year, since China keeps
no daylight saving time (``shop.policy.UTC_OFFSET``), so a fixed offset in SQL is exact.

The provider scorecards are ``oversight.scorecards``; the report as a spreadsheet ``oversight.exports``;
the portable SQL pieces (China's day, durations, medians, the year's range) ``oversight.sql``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from claims.models import Claim, ClaimItem
from claims.states import ClaimStatus
from orders.models import Order, OrderLine
from orders.states import OrderStatus
from orgs.models import Organisation
from oversight.books import WALLET_KINDS, BookRow, by_programme, deducted, recovered
from oversight.rules import week_start, weeks
from oversight.scope import Scope, find_programme, programme_years  # noqa: F401 (reports.find_programme)
from oversight.sql import china_day, year_range
from shop import clock, policy
from shop.policy import year_end, year_start
from wallet.models import LedgerAccount, QuotaApplication
from wallet.states import AccountKind, ApplicationStatus

LIVE_ORDER_STATUSES = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.REFUND_REQUESTED)
# the order of claim statuses as they are read: along the pipeline, then the ends without payment
CLAIM_STATUS_ORDER = tuple(ClaimStatus)  # the pipeline's order
LEADING_PROVIDERS = 10


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# -- the programme report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetFigures:
    """Where the year's vouchers are, from the ledger's balances. ``granted`` is everything that has
    left the reservations for the enterprises' wallets: available + in orders + claimed + disbursed
    + recovering + expired. ``budget`` is what the public purse funded: remaining + reserved + granted."""

    budget_fen: int
    remaining_fen: int
    reserved_fen: int
    granted_fen: int
    available_fen: int
    in_orders_fen: int
    claimed_fen: int
    disbursed_fen: int
    expired_fen: int
    recovering_fen: int = 0  # 追回: paid out, owed back (in ``granted`` until it comes back)
    recovered_fen: int = 0  # 追回: repaid or set off, back in the budget (``remaining``)
    deducted_fen: int = 0  # 扣减: deducted from claims when paid, back in the budget (``remaining``)


def budget_figures(session: Session, year: int, scope: Scope | None = None) -> BudgetFigures:
    scope = scope or Scope(year)
    balances = {
        getattr(kind, "value", kind): int(total)
        for kind, total in session.execute(
            select(LedgerAccount.kind, func.coalesce(func.sum(LedgerAccount.balance_fen), 0))
            .where(scope.accounts())
            .group_by(LedgerAccount.kind)
        )
    }
    b = lambda kind: balances.get(kind.value, 0)  # noqa: E731
    return BudgetFigures(
        budget_fen=-b(AccountKind.SOURCE),
        remaining_fen=b(AccountKind.BUDGET),
        reserved_fen=b(AccountKind.RESERVED),
        granted_fen=sum(b(k) for k in WALLET_KINDS),
        available_fen=b(AccountKind.AVAILABLE),
        in_orders_fen=b(AccountKind.IN_ORDERS),
        claimed_fen=b(AccountKind.CLAIMED),
        disbursed_fen=b(AccountKind.DISBURSED),
        expired_fen=b(AccountKind.EXPIRED),
        recovering_fen=b(AccountKind.RECOVERING),
        recovered_fen=recovered(session, scope.accounts()),
        deducted_fen=deducted(session, scope.accounts()),
    )


@dataclass(frozen=True)
class VoucherRow:
    layer: str
    category: str | None
    lines: int  # order lines (an order with two products of a category counts twice)
    amount_fen: int
    voucher_fen: int


def vouchers_by_category(session: Session, year: int, scope: Scope | None = None) -> list[VoucherRow]:
    """Every category of the eleven, in catalogue order, with its live orders' lines, amounts and
    vouchers (one scan of the lines; counting lines rather than distinct orders keeps it one pass
    and lets the layers be summed from the categories exactly)."""
    rows = session.execute(
        select(
            OrderLine.layer,
            OrderLine.category,
            func.count(),
            func.coalesce(func.sum(OrderLine.amount_fen), 0),
            func.coalesce(func.sum(OrderLine.voucher_fen), 0),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where((scope or Scope(year)).orders(), Order.status.in_(LIVE_ORDER_STATUSES))
        .group_by(OrderLine.layer, OrderLine.category)
    ).all()
    found = {
        (str(layer), str(category)): (int(n), int(amount), int(voucher)) for layer, category, n, amount, voucher in rows
    }
    out = []
    for layer, categories in policy.current().categories.items():
        for category in categories:
            n, amount, voucher = found.get((layer.value, category.value), (0, 0, 0))
            out.append(VoucherRow(layer.value, category.value, n, amount, voucher))
    return out


def vouchers_by_layer(session: Session, year: int, categories: list[VoucherRow] | None = None) -> list[VoucherRow]:
    """The three layers: the sums of their categories."""
    categories = categories if categories is not None else vouchers_by_category(session, year)
    out = []
    for layer in policy.current().layers:
        mine = [r for r in categories if r.layer == layer.value]
        out.append(
            VoucherRow(
                layer.value,
                None,
                sum(r.lines for r in mine),
                sum(r.amount_fen for r in mine),
                sum(r.voucher_fen for r in mine),
            )
        )
    return out


@dataclass(frozen=True)
class CityRow:
    city_code: str
    city: Any
    enterprises: int  # enterprises granted a quota
    granted_fen: int
    orders: int  # live orders
    voucher_fen: int


def by_city(session: Session, year: int, scope: Scope | None = None) -> list[CityRow]:
    """Grants and live orders per prefecture of the enterprise (the first digits of its region code,
    ``policy.prefecture_code``), named as the policy names them."""
    scope = scope or Scope(year)
    city = func.substr(Organisation.region_code, 1, policy.PREFECTURE_DIGITS)
    grants = session.execute(
        select(city, func.count(), func.coalesce(func.sum(QuotaApplication.granted_fen), 0))
        .join(Organisation, Organisation.id == QuotaApplication.organisation_id)
        .where(scope.applications(), QuotaApplication.status == ApplicationStatus.GRANTED)
        .group_by(city)
    ).all()
    orders = session.execute(
        select(city, func.count(), func.coalesce(func.sum(Order.voucher_fen), 0))
        .join(Organisation, Organisation.id == Order.enterprise_id)
        .where(scope.orders(), Order.status.in_(LIVE_ORDER_STATUSES))
        .group_by(city)
    ).all()
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for code, n, amount in grants:
        table[policy.prefecture_code(code)][0:2] = [int(n), int(amount)]
    for code, n, amount in orders:
        table[policy.prefecture_code(code)][2:4] = [int(n), int(amount)]
    names = policy.current()
    rows = [CityRow(code, names.prefecture_name(code), *values) for code, values in table.items()]
    return sorted(rows, key=lambda r: (-r.granted_fen, -r.voucher_fen, r.city_code))


@dataclass(frozen=True)
class WeekRow:
    week_start: dt.date
    orders: int
    voucher_fen: int
    total_fen: int


def orders_per_week(session: Session, year: int, scope: Scope | None = None) -> list[WeekRow]:
    """Orders placed per week (any status, by the day in China), every week of the year up to today."""
    start, end = year_range(year)
    day = china_day(session, Order.placed_at)
    rows = session.execute(
        select(
            day,
            func.count(),
            func.coalesce(func.sum(Order.voucher_fen), 0),
            func.coalesce(func.sum(Order.total_fen), 0),
        )
        .where(Order.placed_at >= start, Order.placed_at < end, (scope or Scope(year)).orders_placed())
        .group_by(day)
    ).all()
    buckets: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d, n, voucher, total in rows:
        bucket = buckets[week_start(_as_date(d))]
        bucket[0] += int(n)
        bucket[1] += int(voucher)
        bucket[2] += int(total)
    today = clock.today()
    last = min(year_end(year), today) if today.year >= year else year_start(year)
    first = year_start(year)
    if buckets:
        last = max(last, max(buckets))
    out = []
    for monday in weeks(first, last):
        n, voucher, total = buckets.get(monday, (0, 0, 0))
        out.append(WeekRow(monday, n, voucher, total))
    return out


@dataclass(frozen=True)
class ClaimRow:
    status: str
    settlement_date: dt.date | None
    claims: int
    voucher_fen: int


def claims_by_status_and_date(session: Session, year: int, scope: Scope | None = None) -> list[ClaimRow]:
    """Claims holding vouchers of ``year`` per status and settlement date: their orders' vouchers (an
    order the operator took out of a claim no longer counts in it)."""
    rows = session.execute(
        select(
            Claim.status,
            Claim.settlement_date,
            func.count(distinct(Claim.id)),
            func.coalesce(func.sum(ClaimItem.voucher_fen), 0),
        )
        .select_from(ClaimItem)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where((scope or Scope(year)).claim_items(), ClaimItem.excluded_at.is_(None))
        .group_by(Claim.status, Claim.settlement_date)
    ).all()
    out = [
        ClaimRow(getattr(status, "value", status), day if day is None else _as_date(day), int(n), int(v))
        for status, day, n, v in rows
    ]
    order = {s.value: i for i, s in enumerate(CLAIM_STATUS_ORDER)}
    return sorted(out, key=lambda r: (r.settlement_date or dt.date.max, order.get(r.status, 99)))


def claims_by_status(rows: list[ClaimRow]) -> list[ClaimRow]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        totals[row.status][0] += row.claims
        totals[row.status][1] += row.voucher_fen
    return [ClaimRow(s.value, None, *totals[s.value]) for s in CLAIM_STATUS_ORDER if s.value in totals]


@dataclass(frozen=True)
class ProviderRow:
    provider_id: int
    name: str
    orders: int
    amount_fen: int
    voucher_fen: int
    disbursed_fen: int


def leading_providers(
    session: Session, year: int, limit: int = LEADING_PROVIDERS, scope: Scope | None = None
) -> list[ProviderRow]:
    """The providers whose live orders of the year used the most vouchers, with what was paid to them."""
    rows = session.execute(
        select(
            Order.provider_id,
            Organisation.name,
            func.count(),
            func.coalesce(func.sum(Order.total_fen), 0),
            func.coalesce(func.sum(Order.voucher_fen), 0),
        )
        .join(Organisation, Organisation.id == Order.provider_id)
        .where((scope or Scope(year)).orders(), Order.status.in_(LIVE_ORDER_STATUSES))
        .group_by(Order.provider_id, Organisation.name)
        .order_by(func.sum(Order.voucher_fen).desc(), Order.provider_id)
        .limit(limit)
    ).all()
    ids = [r[0] for r in rows]
    paid = (
        dict(
            session.execute(
                select(Claim.provider_id, func.coalesce(func.sum(ClaimItem.voucher_fen - ClaimItem.deducted_fen), 0))
                .select_from(ClaimItem)
                .join(Claim, Claim.id == ClaimItem.claim_id)
                .where(
                    Claim.provider_id.in_(ids),
                    Claim.status == ClaimStatus.DISBURSED,
                    (scope or Scope(year)).claim_items(),
                    ClaimItem.live.is_(True),
                )
                .group_by(Claim.provider_id)
            ).all()
        )
        if ids
        else {}
    )
    return [
        ProviderRow(pid, name, int(n), int(amount), int(voucher), int(paid.get(pid, 0)))
        for pid, name, n, amount, voucher in rows
    ]


@dataclass(frozen=True)
class ProgrammeReport:
    year: int
    generated_at: dt.datetime
    budget: BudgetFigures
    vouchers_by_layer: list[VoucherRow]
    vouchers_by_category: list[VoucherRow]
    by_city: list[CityRow]
    orders_per_week: list[WeekRow]
    claims_by_status: list[ClaimRow]
    claims_by_settlement_date: list[ClaimRow] = field(default_factory=list)
    leading_providers: list[ProviderRow] = field(default_factory=list)
    by_programme: list[BookRow] = field(default_factory=list)  # per programme, scheme and budget block
    programme: str | None = None  # the one programme reported on, or None: every programme of the year

    def as_json(self) -> dict[str, Any]:
        def rows(items: list[Any]) -> list[dict[str, Any]]:
            out = []
            for item in items:
                data = asdict(item)
                for key, value in data.items():
                    if isinstance(value, dt.date):
                        data[key] = value.isoformat()
                    elif key == "city":
                        data[key] = str(value)
                out.append(data)
            return out

        by_layer = [{k: v for k, v in row.items() if k != "category"} for row in rows(self.vouchers_by_layer)]
        by_status = [{k: v for k, v in row.items() if k != "settlement_date"} for row in rows(self.claims_by_status)]
        return {
            "year": self.year,
            "generated_at": self.generated_at.isoformat(),
            "budget": asdict(self.budget),
            "vouchers_by_layer": by_layer,
            "vouchers_by_category": rows(self.vouchers_by_category),
            "by_city": rows(self.by_city),
            "orders_per_week": rows(self.orders_per_week),
            "claims_by_status": by_status,
            "claims_by_settlement_date": rows(self.claims_by_settlement_date),
            "leading_providers": rows(self.leading_providers),
            "by_programme": rows(self.by_programme),
            "programme": self.programme,
        }


def programme_report(session: Session, year: int, scope: Scope | None = None) -> ProgrammeReport:
    """The year's figures over every programme, or over one (``oversight.scope``)."""
    scope = scope or Scope(year)
    claims = claims_by_status_and_date(session, year, scope)
    categories = vouchers_by_category(session, year, scope)
    parts = by_programme(session, year)
    return ProgrammeReport(
        year=year,
        generated_at=clock.now(),
        budget=budget_figures(session, year, scope),
        vouchers_by_layer=vouchers_by_layer(session, year, categories),
        vouchers_by_category=categories,
        by_city=by_city(session, year, scope),
        orders_per_week=orders_per_week(session, year, scope),
        claims_by_status=claims_by_status(claims),
        claims_by_settlement_date=[c for c in claims if c.settlement_date is not None],
        leading_providers=leading_providers(session, year, scope=scope),
        by_programme=[
            r
            for r in parts
            if scope.programme is None
            or (r.programme == scope.programme.code and (scope.region is None or r.block == scope.region))
        ],
        programme=scope.programme.code if scope.programme else None,
    )
