"""The export of a settlement date's claims (第二十三条): one row per order, a subtotal per claim, the
total of the date; registered with ``shop.exports`` by the claims' ``init_app``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from claims.models import Claim, ClaimItem
from claims.states import SUBMITTED_CLAIM_STATUSES
from orders.models import Order
from orgs.models import Organisation
from shop import clock, exports, labels
from shop.i18n import _
from shop.inputs import Inputs
from shop.states import Role

# -- the rows ---------------------------------------------------------------------------------------------


def settlement_export_count(session: Session, day: dt.date) -> int:
    """Rows the export writes: one per order, one subtotal per claim, the total."""
    items = (
        session.scalar(
            select(func.count())
            .select_from(ClaimItem)
            .join(Claim, Claim.id == ClaimItem.claim_id)
            .where(Claim.settlement_date == day, Claim.status.in_(SUBMITTED_CLAIM_STATUSES), ClaimItem.live.is_(True))
        )
        or 0
    )
    claims = (
        session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.settlement_date == day, Claim.status.in_(SUBMITTED_CLAIM_STATUSES))
        )
        or 0
    )
    return items + claims + 1


@dataclass(frozen=True)
class ExportLine:
    provider: str
    provider_uscc: str
    claim_id: int
    claim_status: str
    order_id: int
    confirmed_at: dt.datetime | None
    enterprise: str
    enterprise_uscc: str
    order_total_fen: int
    voucher_fen: int


def settlement_export_lines(session: Session, day: dt.date) -> Iterator[ExportLine]:
    """Every order of the claims of ``day`` with its provider and enterprise, read in batches."""
    enterprise = Organisation.__table__.alias("enterprise")
    provider = Organisation.__table__.alias("provider")
    stmt = (
        select(
            provider.c.name,
            provider.c.uscc,
            Claim.id,
            Claim.status,
            Order.id,
            Order.confirmed_at,
            enterprise.c.name,
            enterprise.c.uscc,
            Order.total_fen,
            ClaimItem.voucher_fen,
        )
        .select_from(ClaimItem)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .join(Order, Order.id == ClaimItem.order_id)
        .join(provider, provider.c.id == Claim.provider_id)
        .join(enterprise, enterprise.c.id == ClaimItem.enterprise_id)
        .where(Claim.settlement_date == day, Claim.status.in_(SUBMITTED_CLAIM_STATUSES), ClaimItem.live.is_(True))
        .order_by(provider.c.name, Claim.id, Order.id)
        .execution_options(yield_per=500)
    )
    for row in session.execute(stmt):
        status = row[3].value if hasattr(row[3], "value") else row[3]
        yield ExportLine(row[0], row[1], row[2], status, row[4], row[5], row[6], row[7], int(row[8]), int(row[9]))


# -- the exporter -------------------------------------------------------------------------------------------


def _read_export_params(data: Mapping[str, Any]) -> dict[str, Any]:
    inputs = Inputs(data)
    day = inputs.date("settlement_date")
    inputs.check()
    return {"settlement_date": day.isoformat()}


def _export_header(_params: Mapping[str, Any]) -> list[Any]:
    return [
        _("Settlement date"),
        _("Provider"),
        _("Provider USCC"),
        _("Claim"),
        _("Claim status"),
        _("Order"),
        _("Confirmed on"),
        _("Enterprise"),
        _("Enterprise USCC"),
        _("Order amount (yuan)"),
        _("Vouchers claimed (yuan)"),
    ]


def _export_rows(session: Any, params: Mapping[str, Any]) -> Iterator[list[Any]]:
    """One row per order, a subtotal per claim, the total of the date (sums of integer fen)."""
    day = dt.date.fromisoformat(params["settlement_date"])
    claim_id, claim_sums, total = None, [0, 0, 0], [0, 0, 0]

    def subtotal() -> list[Any]:
        return [
            exports.Emphasis(_("Claim #%(id)d: %(n)d order(s)", id=claim_id, n=claim_sums[2])),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            exports.Money(claim_sums[0]),
            exports.Money(claim_sums[1]),
        ]

    for line in settlement_export_lines(session, day):
        if claim_id is not None and line.claim_id != claim_id:
            yield subtotal()
            claim_sums = [0, 0, 0]
        claim_id = line.claim_id
        yield [
            day,
            line.provider,
            line.provider_uscc,
            f"#{line.claim_id}",
            str(labels.label(line.claim_status)),
            f"#{line.order_id}",
            clock.china_date(line.confirmed_at),
            line.enterprise,
            line.enterprise_uscc,
            exports.Money(line.order_total_fen),
            exports.Money(line.voucher_fen),
        ]
        for sums in (claim_sums, total):
            sums[0] += line.order_total_fen
            sums[1] += line.voucher_fen
            sums[2] += 1
    if claim_id is not None:
        yield subtotal()
    yield [
        exports.Emphasis(_("Total of %(day)s: %(n)d order(s)", day=day.isoformat(), n=total[2])),
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        exports.Money(total[0]),
        exports.Money(total[1]),
    ]


SETTLEMENT_EXPORT = exports.Exporter(
    kind="settlement",
    roles=frozenset({Role.OPERATOR, Role.AUTHORITY}),
    title=lambda params: str(_("Redemption claims %(day)s", day=params["settlement_date"])),
    read_params=_read_export_params,
    count=lambda session, params: settlement_export_count(session, dt.date.fromisoformat(params["settlement_date"])),
    header=_export_header,
    rows=_export_rows,
)
