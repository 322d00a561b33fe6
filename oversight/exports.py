"""The programme report as a spreadsheet (the dashboard's download and the report API's
``?format=xlsx``): one sheet, a section per figure."""

from __future__ import annotations

import io
from typing import Any

from flask import Response

from oversight.reports import ProgrammeReport
from shop import clock
from shop.exports import FORMATS, Emphasis, Money, write_xlsx
from shop.i18n import _
from shop.labels import label


def report_rows(report: ProgrammeReport) -> tuple[list[Any], list[list[Any]]]:
    """The report as one sheet: a section per figure, each with its own header row (bold), amounts as
    ``Money`` cells (exact yuan, number format ``#,##0.00``)."""
    b = report.budget
    rows: list[list[Any]] = []

    def section(title: str, header: list[Any]) -> None:
        if rows:
            rows.append([])
        rows.append([Emphasis(title)])
        rows.append([Emphasis(str(header[0]))] + [str(h) for h in header[1:]])

    section(_("Budget"), [_("Figure"), _("Amount (yuan)")])
    for name, value in (
        (_("Budget"), b.budget_fen),
        (_("Not yet reserved"), b.remaining_fen),
        (_("Reserved for pending applications"), b.reserved_fen),
        (_("Granted"), b.granted_fen),
        (_("Unspent in wallets"), b.available_fen),
        (_("In orders"), b.in_orders_fen),
        (_("Claimed"), b.claimed_fen),
        (_("Disbursed"), b.disbursed_fen),
        (_("Expired"), b.expired_fen),
        (_("Being recovered"), b.recovering_fen),
        (_("Recovered"), b.recovered_fen),
        (_("Deducted (扣减)"), b.deducted_fen),
    ):
        rows.append([str(name), Money(value)])
    section(_("Vouchers by layer"), [_("Layer"), _("Order lines"), _("Amount (yuan)"), _("Vouchers (yuan)")])
    for r in report.vouchers_by_layer:
        rows.append([str(label(r.layer)), r.lines, Money(r.amount_fen), Money(r.voucher_fen)])
    section(
        _("Vouchers by category"),
        [_("Layer"), _("Category"), _("Order lines"), _("Amount (yuan)"), _("Vouchers (yuan)")],
    )
    for r in report.vouchers_by_category:
        rows.append([str(label(r.layer)), str(label(r.category)), r.lines, Money(r.amount_fen), Money(r.voucher_fen)])
    section(_("By city"), [_("City"), _("Enterprises granted"), _("Granted (yuan)"), _("Orders"), _("Vouchers (yuan)")])
    for r in report.by_city:
        rows.append([str(r.city), r.enterprises, Money(r.granted_fen), r.orders, Money(r.voucher_fen)])
    section(_("Orders per week"), [_("Week of"), _("Orders"), _("Amount (yuan)"), _("Vouchers (yuan)")])
    for r in report.orders_per_week:
        rows.append([r.week_start, r.orders, Money(r.total_fen), Money(r.voucher_fen)])
    section(_("Claims by status"), [_("Status"), _("Claims"), _("Vouchers (yuan)")])
    for r in report.claims_by_status:
        rows.append([str(label(r.status)), r.claims, Money(r.voucher_fen)])
    section(_("Claims by settlement date"), [_("Settlement date"), _("Status"), _("Claims"), _("Vouchers (yuan)")])
    for r in report.claims_by_settlement_date:
        rows.append([r.settlement_date, str(label(r.status)), r.claims, Money(r.voucher_fen)])
    section(
        _("Leading providers"),
        [_("Provider"), _("Orders"), _("Amount (yuan)"), _("Vouchers (yuan)"), _("Disbursed (yuan)")],
    )
    for r in report.leading_providers:
        rows.append([r.name, r.orders, Money(r.amount_fen), Money(r.voucher_fen), Money(r.disbursed_fen)])
    section(
        _("By programme, scheme and budget block"),
        [
            _("Programme"),
            _("Jurisdiction"),
            _("Scheme or block"),
            _("Budget left (yuan)"),
            _("Reserved (yuan)"),
            _("Granted (yuan)"),
            _("Disbursed (yuan)"),
        ],
    )
    for r in report.by_programme:
        part = r.scheme or (r.block and str(_("block %(code)s", code=r.block))) or str(_("budget"))
        rows.append(
            [
                r.title,
                r.jurisdiction,
                part,
                Money(r.budget_fen),
                Money(r.reserved_fen),
                Money(r.granted_fen),
                Money(r.disbursed_fen),
            ]
        )
    header = [
        _("Programme %(year)d", year=report.year),
        _("generated %(at)s", at=report.generated_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")),
    ]
    return header, rows


def report_xlsx(report: ProgrammeReport) -> bytes:
    header, rows = report_rows(report)
    buffer = io.BytesIO()
    write_xlsx(buffer, header, rows, str(_("Programme %(year)d", year=report.year)))
    return buffer.getvalue()


def xlsx_response(report: ProgrammeReport) -> Response:
    """The spreadsheet as a download, never cached (the figures are the authority's)."""
    return Response(
        report_xlsx(report),
        mimetype=FORMATS["xlsx"],
        headers={
            "Content-Disposition": f"attachment; filename=programme-{report.year}.xlsx",
            "Cache-Control": "private, no-store",
        },
    )
