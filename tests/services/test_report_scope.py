"""The programme report for one programme, and for staff of a jurisdiction only the programmes under it:
each figure against the ledger and the orders of that programme's wallets (both databases)."""

import pytest

from oversight import reports
from oversight import scope as report_scope
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import grant_wallet, make_order, make_org, make_programme, make_staff, member
from wallet import grants, policies, services
from wallet.commands import ProgrammeSpec

WAN = 1_000_000


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def _two_programmes(session, today):
    make_programme(session, budget_fen=100 * WAN)  # Guizhou: ¥1,000,000
    guiyang = make_org(session, region_code="520102")
    grant_wallet(session, guiyang)  # ¥50,000
    authority = make_staff(session, Role.AUTHORITY, jurisdiction="440111")
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": "baiyun-2026",
            "title": "白云区服务券",
            "jurisdiction": "440111",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 500 * WAN,  # ¥5,000,000
        }
    )
    policies.create_from_preset(session, authority, spec)
    baiyun = make_org(session, region_code="440111")
    application = grants.apply(session, member(baiyun), "baiyun-2026", "public_cloud", {"last_year_tax_fen": 0})
    services.review_application(session, make_staff(session), application.id, Decision(True))
    today("2026-03-17")
    grants.issue_after_notice(session)
    provider = make_org(session, "provider")
    book = grants.application_book(session, application)[0]
    make_order(session, guiyang, provider, amount_fen=10_000_00)  # ¥4,000 of Guizhou vouchers (40%)
    make_order(session, baiyun, provider, amount_fen=10_000_00, voucher_fen=5_000_00, book=book)  # ¥5,000 (50%)
    return authority


def test_each_programme_has_its_own_report_and_the_year_adds_them_up(session, today):
    _two_programmes(session, today)
    whole = reports.programme_report(session, 2026)
    guizhou = reports.programme_report(session, 2026, report_scope.choose(session, 2026, "guizhou-2026", None))
    baiyun = reports.programme_report(session, 2026, report_scope.choose(session, 2026, "baiyun-2026", None))
    # budgets: ¥1,000,000 and ¥5,000,000; granted ¥50,000 and ¥100,000; in orders ¥4,000 and ¥5,000
    assert (guizhou.budget.budget_fen, baiyun.budget.budget_fen, whole.budget.budget_fen) == (
        100 * WAN,
        500 * WAN,
        600 * WAN,
    )
    assert (guizhou.budget.granted_fen, baiyun.budget.granted_fen) == (5 * WAN, 10 * WAN)
    assert (guizhou.budget.in_orders_fen, baiyun.budget.in_orders_fen) == (4_000_00, 5_000_00)
    assert sum(r.voucher_fen for r in baiyun.vouchers_by_layer) == 5_000_00
    assert [c.city_code for c in baiyun.by_city] == ["4401"]
    assert {r.programme for r in baiyun.by_programme} == {"baiyun-2026"}
    assert sum(w.voucher_fen for w in baiyun.orders_per_week) == 5_000_00
    assert whole.budget.in_orders_fen == guizhou.budget.in_orders_fen + baiyun.budget.in_orders_fen
    assert baiyun.as_json()["programme"] == "baiyun-2026"


def test_staff_of_a_jurisdiction_report_only_on_the_programmes_under_it(session, today):
    _two_programmes(session, today)
    scope = report_scope.choose(session, 2026, None, "440111")
    assert scope.programme.code == "baiyun-2026"
    with pytest.raises(DomainError) as caught:
        report_scope.choose(session, 2026, "guizhou-2026", "440111")
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError):
        report_scope.choose(session, 2026, None, "3713")  # Linyi: no programme there at all
    assert report_scope.choose(session, 2026, None, None).programme is None  # the province: the whole year


def test_a_citys_staff_inside_the_province_programme_see_their_citys_part(session, today):
    _two_programmes(session, today)
    zunyi = make_org(session, region_code="520302")
    grant_wallet(session, zunyi)  # another ¥50,000 of Guizhou's, in Zunyi
    scope = report_scope.choose(session, 2026, None, "5201")  # Guiyang: no programme of its own
    assert (scope.programme.code, scope.region) == ("guizhou-2026", "5201")
    report = reports.programme_report(session, 2026, scope)
    # Guiyang's enterprise only: ¥50,000 granted, ¥4,000 in its order; the province's budget is not Guiyang's
    assert (report.budget.granted_fen, report.budget.in_orders_fen, report.budget.budget_fen) == (5 * WAN, 4_000_00, 0)
    assert [c.city_code for c in report.by_city] == ["5201"]
    province = reports.programme_report(session, 2026, report_scope.choose(session, 2026, "guizhou-2026", None))
    assert province.budget.granted_fen == 10 * WAN
    with pytest.raises(DomainError):
        report_scope.choose(session, 2026, "baiyun-2026", "5201")
