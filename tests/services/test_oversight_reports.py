"""The programme report (dashboard, API, XLSX): every figure against the ledger and the orders it
comes from; provider scorecards with their medians and rates; a fixed number of queries."""

import datetime as dt

import pytest
from sqlalchemy import event, func, select, update

from orders.models import Order
from oversight import complaints, exports, reports, scorecards
from oversight.commands import ComplaintInput, ResolutionInput
from oversight.models import Complaint
from tests.helpers import make_order, make_org, member
from tests.oversight_helpers import oversight_world, postings_by_kind
from wallet import services as wallet_services
from wallet.models import QuotaApplication


@pytest.fixture(autouse=True)
def on_a_monday_in_march(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    return oversight_world(session, tmp_path / "uploads")


def test_every_budget_figure_equals_the_sum_of_the_years_ledger_postings(session, world):
    figures = reports.budget_figures(session, 2026)
    sums = postings_by_kind(session, 2026)
    assert figures.budget_fen == -sums["source"] == 1_000_000_00
    assert figures.remaining_fen == sums["budget"] == 850_000_00
    assert figures.reserved_fen == sums["reserved"] == 50_000_00
    assert figures.available_fen == sums["available"] == 89_600_00
    assert figures.in_orders_fen == sums["in_orders"] == 2_600_00
    assert figures.claimed_fen == sums["claimed"] == 800_00
    assert figures.disbursed_fen == sums["disbursed"] == 7_000_00
    assert figures.expired_fen == sums.get("expired", 0) == 0
    granted = sum(sums.get(k, 0) for k in ("available", "in_orders", "claimed", "disbursed", "expired"))
    assert figures.granted_fen == granted == 100_000_00


def test_granted_is_what_the_operator_granted_and_the_budget_adds_up(session, world):
    figures = reports.budget_figures(session, 2026)
    granted = session.scalar(select(func.sum(QuotaApplication.granted_fen)).where(QuotaApplication.year == 2026))
    assert figures.granted_fen == granted
    assert figures.remaining_fen + figures.reserved_fen + figures.granted_fen == figures.budget_fen


def test_expired_vouchers_of_an_ended_year_are_counted_for_that_year(session, world, today):
    today("2027-01-04")
    wallet_services.expire_past_years(session)
    figures = reports.budget_figures(session, 2026)
    assert figures.expired_fen == postings_by_kind(session, 2026)["expired"] == 89_600_00
    assert figures.available_fen == 0
    assert figures.granted_fen == 100_000_00


def test_a_year_without_a_programme_has_only_zeros(session, world):
    figures = reports.budget_figures(session, 2031)
    assert figures == reports.BudgetFigures(0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_vouchers_by_layer_count_live_orders_only_and_add_up_to_what_the_ledger_holds_for_orders(session, world):
    layers = {r.layer: r for r in reports.vouchers_by_layer(session, 2026)}
    assert (layers["infrastructure"].lines, layers["infrastructure"].voucher_fen) == (4, 7_400_00)
    assert (layers["platform"].lines, layers["platform"].voucher_fen) == (1, 3_000_00)
    assert (layers["application"].lines, layers["application"].voucher_fen) == (0, 0)
    figures = reports.budget_figures(session, 2026)
    assert (
        sum(r.voucher_fen for r in layers.values())
        == figures.in_orders_fen + figures.claimed_fen + figures.disbursed_fen
    )


def test_vouchers_by_category_list_all_eleven_categories_in_catalogue_order(session, world):
    rows = reports.vouchers_by_category(session, 2026)
    assert [r.category for r in rows][:4] == ["compute", "storage", "network", "security"]
    assert len(rows) == 11
    by = {r.category: r.voucher_fen for r in rows}
    assert by["compute"] == 7_400_00 and by["database"] == 3_000_00 and by["iot"] == 0


def test_by_city_groups_enterprises_by_the_first_four_digits_of_their_region_code(session, world):
    rows = {r.city_code: r for r in reports.by_city(session, 2026)}
    assert set(rows) == {"5201", "5203"}  # Qiannan's application is not granted yet
    assert str(rows["5201"].city) == "Guiyang" and str(rows["5203"].city) == "Zunyi"
    assert (rows["5201"].enterprises, rows["5201"].granted_fen, rows["5201"].orders, rows["5201"].voucher_fen) == (
        1,
        50_000_00,
        3,
        5_800_00,
    )
    assert (rows["5203"].orders, rows["5203"].voucher_fen) == (2, 4_600_00)


def test_orders_per_week_count_by_the_day_in_china_and_list_every_week_so_far(session, world):
    late_sunday_utc = dt.datetime(2026, 3, 8, 17, 30, tzinfo=dt.UTC)  # Monday 9 March, 01:30 in China
    session.execute(update(Order).where(Order.id == world["orders"][0].id).values(placed_at=late_sunday_utc))
    session.commit()
    weeks = reports.orders_per_week(session, 2026)
    assert weeks[0].week_start == dt.date(2025, 12, 29)  # the week of 1 January
    by = {w.week_start: w for w in weeks}
    assert by[dt.date(2026, 3, 2)].orders == 6
    assert by[dt.date(2026, 3, 9)].orders == 1 and by[dt.date(2026, 3, 9)].voucher_fen == 4_000_00
    assert by[dt.date(2026, 2, 23)].orders == 0
    assert weeks[-1].week_start == dt.date(2026, 3, 9)


def test_claims_by_status_and_settlement_date(session, world):
    rows = reports.claims_by_status_and_date(session, 2026)
    assert {(r.status, r.settlement_date, r.claims, r.voucher_fen) for r in rows} == {
        ("disbursed", dt.date(2026, 6, 30), 1, 7_000_00),
        ("submitted", dt.date(2026, 6, 30), 1, 800_00),
        ("rejected", dt.date(2026, 6, 30), 1, 1_600_00),
    }
    statuses = [r.status for r in reports.claims_by_status(rows)]
    assert statuses == ["submitted", "disbursed", "rejected"]


def test_leading_providers_are_ranked_by_the_vouchers_of_their_live_orders(session, world):
    rows = reports.leading_providers(session, 2026)
    assert [r.name for r in rows] == ["贵州甲云计算有限公司", "遵义乙数据服务有限公司"]
    assert (rows[0].orders, rows[0].voucher_fen, rows[0].disbursed_fen) == (2, 7_000_00, 7_000_00)
    assert (rows[1].orders, rows[1].voucher_fen, rows[1].disbursed_fen) == (3, 3_400_00, 0)


def test_the_report_as_json_carries_the_same_figures(session, world):
    data = reports.programme_report(session, 2026).as_json()
    assert data["budget"]["disbursed_fen"] == 7_000_00 and data["budget"]["granted_fen"] == 100_000_00
    assert data["vouchers_by_layer"][0] == {
        "layer": "infrastructure",
        "lines": 4,
        "amount_fen": 18_500_00,
        "voucher_fen": 7_400_00,
    }
    assert data["claims_by_settlement_date"][0]["settlement_date"] == "2026-06-30"
    assert data["by_city"][0]["city_code"] == "5201"


def test_the_report_takes_the_same_number_of_queries_for_ten_orders_as_for_two(app, session, world):
    def queries_for_report() -> int:
        engine = app.extensions["shop.engine"]
        count = [0]

        def counter(*_args):
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            reports.programme_report(session, 2026)
            scorecards.scorecards(session, 2026)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count[0]

    before = queries_for_report()
    for _ in range(8):
        make_order(session, world["e1"], world["p2"], amount_fen=100_00, voucher_fen=0)
    for _ in range(3):
        make_org(session, "provider")
    assert queries_for_report() == before


# -- scorecards --------------------------------------------------------------------------------------


def _confirmed_after(session, order, hours):
    session.execute(
        update(Order).where(Order.id == order.id).values(confirmed_at=order.placed_at + dt.timedelta(hours=hours))
    )
    session.commit()


def test_a_scorecard_has_the_median_time_to_confirm_for_odd_and_even_counts(session, world):
    p1, p2 = world["p1"], world["p2"]
    o1, o2, _o3, _o4, o5, o6, o7 = world["orders"]
    for order, hours in ((o1, 1), (o2, 5), (o5, 30)):  # p1: 1 h, 5 h, 30 h → 5 h
        _confirmed_after(session, order, hours)
    for order, hours in ((o6, 2), (o7, 3)):  # p2: 2 h and 3 h → 2 h 30 min
        _confirmed_after(session, order, hours)
    cards = {c.provider_id: c for c in scorecards.scorecards(session, 2026)}
    assert cards[p1.id].median_confirm_seconds == 5 * 3600
    assert cards[p2.id].median_confirm_seconds == 2 * 3600 + 1800
    assert (cards[p1.id].orders, cards[p1.id].confirmed) == (3, 3)
    assert (cards[p2.id].orders, cards[p2.id].confirmed) == (4, 2)  # one placed, one cancelled


def test_a_scorecard_has_the_refund_rate_and_the_claims_rejected(session, world):
    cards = {c.provider_id: c for c in scorecards.scorecards(session, 2026)}
    p1, p2 = cards[world["p1"].id], cards[world["p2"].id]
    assert (p1.refunded, p1.refund_rate_per_mille) == (1, 333)  # one of three confirmed orders
    assert (p2.refunded, p2.refund_rate_per_mille) == (0, 0)
    assert (p1.claims, p1.claims_rejected) == (1, 0)
    assert (p2.claims, p2.claims_rejected) == (2, 1)


def test_a_scorecard_has_the_complaints_and_the_median_times_to_answer_and_resolve_them(session, world):
    e1, e2, p1 = world["e1"], world["e2"], world["p1"]
    o1, o2, _o3, _o4, o5, _o6, _o7 = world["orders"]
    operator = world["operator"]
    filed = []
    for buyer, order in ((e1, o1), (e2, o2), (e1, o5)):
        filed.append(
            complaints.file_complaint(
                session,
                member(buyer),
                ComplaintInput.from_input(
                    {
                        "order_id": order.id,
                        "kind": "service_quality",
                        "subject": "服务中断",
                        "description": "连续三天无法访问",
                    }
                ),
            )
        )
    for complaint in filed[:2]:
        complaints.take_up_complaint(session, operator, complaint.id)
        complaints.resolve_complaint(session, operator, complaint.id, ResolutionInput("服务商已修复并补偿"))
    base = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    for complaint, (answer_h, resolve_h) in zip(filed[:2], ((2, 24), (4, 72)), strict=False):
        session.execute(
            update(Complaint)
            .where(Complaint.id == complaint.id)
            .values(
                filed_at=base,
                first_response_at=base + dt.timedelta(hours=answer_h),
                resolved_at=base + dt.timedelta(hours=resolve_h),
            )
        )
    session.commit()
    card = next(c for c in scorecards.scorecards(session, 2026) if c.provider_id == p1.id)
    assert (card.complaints, card.complaints_resolved) == (3, 2)
    assert card.median_first_response_seconds == 3 * 3600
    assert card.median_resolution_seconds == 48 * 3600


def test_scorecards_are_sorted_as_asked_and_list_providers_without_orders(session, world):
    newcomer = make_org(session, "provider", name="新来的云有限公司")
    by_orders = scorecards.scorecards(session, 2026, "orders")
    assert [c.provider_id for c in by_orders][:2] == [world["p2"].id, world["p1"].id]
    assert by_orders[-1].provider_id == newcomer.id and by_orders[-1].orders == 0
    assert by_orders[-1].median_confirm_seconds is None and by_orders[-1].refund_rate_per_mille is None
    assert scorecards.scorecards(session, 2026, "rejected")[0].provider_id == world["p2"].id


def test_the_spreadsheet_holds_each_section_with_exact_amounts(app, session, world):
    import io

    from openpyxl import load_workbook

    with app.test_request_context("/api/v1/reports/programmes/2026", headers={"Accept-Language": "en"}):
        data = exports.report_xlsx(reports.programme_report(session, 2026))
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    flat = {row[0]: row[1:] for row in rows if row and row[0]}
    from decimal import Decimal

    assert flat["Disbursed"][0] == Decimal("7000.00")
    assert flat["Granted"][0] == Decimal("100000.00")
    assert "Vouchers by layer" in flat and "Leading providers" in flat
    assert any(row[0] == "贵州甲云计算有限公司" and row[3] == Decimal("7000.00") for row in rows if row)
