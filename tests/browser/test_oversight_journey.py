"""Oversight on the demo year (late November 2026): the authority's dashboard with its charts and the
spreadsheet, the public notice with an objection the operator answers, a complaint from filing to
resolution, the provider scorecards and the audit trail's verification. Screenshots under
docs/screenshots/ (Chinese; the dashboard also in English)."""

from sqlalchemy import select

from catalog.demo import seed_catalogue
from orders.models import Order
from orgs.demo import seed_organisations
from orgs.models import Organisation
from oversight.demo import seed_oversight
from oversight.models import Complaint
from shop.seed import DEMO_PASSWORD
from tests.browser.conftest import screenshot, sign_in, sign_out
from wallet.demo import seed_programme

AUTHORITY, OPERATOR = "authority@yunquan.example", "operator@yunquan.example"


def _demo_year(app):  # type: ignore[no-untyped-def]
    """The demo without the checkout's card payments (they need the payment mock): the bulk orders,
    claims, complaints and notices of oversight's demo are enough here."""
    with app.app_context():
        session = app.extensions["shop.sessions"]()
        for seeder in (seed_organisations, seed_catalogue, seed_programme, seed_oversight):
            seeder(session)
            session.commit()
        org = session.scalars(select(Organisation).where(Organisation.email == "gy-software@yunquan.example")).one()
        order = session.scalars(
            select(Order)
            .where(  # its latest confirmed order nobody complained about yet
                Order.enterprise_id == org.id,
                Order.status == "confirmed",
                ~select(Complaint.id).where(Complaint.order_id == Order.id).exists(),
            )
            .order_by(Order.id.desc())
        ).first()
        session.close()
        return order.id


def test_the_authority_oversees_the_year_the_public_objects_and_a_complaint_is_resolved(page, live_app, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-11-30")
    order_id = _demo_year(live_app)

    # the authority's dashboard: every figure drawn, with its table, and the spreadsheet
    sign_in(page, AUTHORITY, DEMO_PASSWORD)
    page.goto("/oversight")
    assert page.locator("main svg.chart").count() >= 7
    figures = page.inner_text(".figures")
    assert "¥50,000,000.00" in figures and "已拨付" in figures
    assert "贵阳市" in page.inner_text("#h-cities + figure + .table-wrap")
    screenshot(page, "oversight-dashboard-zh")
    with page.expect_download() as download:
        page.click("text=下载报表（XLSX）")
    assert download.value.suggested_filename == "programme-2026.xlsx"
    page.click("text=English")
    page.wait_for_load_state()
    assert "Budget and vouchers" in page.inner_text("main") and "Guiyang" in page.inner_text("main")
    screenshot(page, "oversight-dashboard-en")
    page.click("text=中文")
    page.wait_for_load_state()

    page.goto("/oversight/scorecards")
    # one row per provider of the demo: Guizhou's four and Linyi's 沂蒙云
    assert page.locator("table.scorecards tbody tr").count() == 5
    assert "临沂沂蒙云数据科技有限公司" in page.inner_text("table.scorecards tbody")
    assert "退款率" in page.inner_text("table.scorecards thead")
    screenshot(page, "oversight-scorecards-zh")
    sign_out(page)

    # the public notice, read without signing in; an objection needs a sign-in
    page.goto("/notices")
    rows = page.locator("table.notices tbody tr")
    assert rows.count() >= 3 and "****" in page.inner_text("table.notices")
    # the first request of the day signed the audit trail's head, and the notice publishes it
    assert "审计链检查点" in page.inner_text("main")
    assert page.locator("table.checkpoints tbody tr").count() == 1
    assert len(page.inner_text("table.checkpoints code.hash >> nth=0")) == 64
    screenshot(page, "notice-list-zh")
    page.click("table.notices tbody tr:has-text('额度发放') >> nth=0 >> a")
    entry_url = page.url
    page.click("text=登录后提出异议")
    page.fill("#f-email", "liupanshui@yunquan.example")
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert page.url == entry_url
    page.fill("#f-reason", "该企业的注册地址与实际经营地不符，请核实其是否仍在省内经营。")
    page.click("text=提交异议")
    assert "您的异议已记录" in page.inner_text(".flash")
    sign_out(page)

    sign_in(page, OPERATOR, DEMO_PASSWORD)
    page.goto("/staff/objections?status=open")
    card = page.locator("article.objection:has-text('注册地址与实际经营地不符')")
    card.locator("textarea").fill("经核实，该企业在省内正常经营，符合申领条件，维持发放。")
    card.locator("button[type=submit]").click()
    assert "您的答复已与异议一同公开" in page.inner_text(".flash")
    sign_out(page)
    page.goto(entry_url)
    assert "维持发放" in page.inner_text("main")
    screenshot(page, "notice-objection-zh")

    # a complaint: the enterprise files it, the provider answers, the operator takes it up and resolves it
    sign_in(page, "gy-software@yunquan.example", DEMO_PASSWORD)
    page.goto(f"/complaints/new?order_id={order_id}")
    page.select_option("#f-kind", "service_quality")
    page.fill("#f-subject", "数据库连接频繁超时")
    page.fill("#f-description", "自 11 月 20 日起，每天上午业务高峰期数据库连接超时十余次，影响开票系统。")
    page.click("text=提交投诉")
    assert "投诉已提交" in page.inner_text(".flash") and "待处理" in page.inner_text("h1")
    complaint_url = page.url
    sign_out(page)

    sign_in(page, OPERATOR, DEMO_PASSWORD)
    page.goto(complaint_url)
    provider_name = page.inner_text("dl.facts dd >> nth=1")
    page.click("text=受理投诉")
    assert "处理中" in page.inner_text("h1")
    page.fill("#f-body", "运营方已受理，请服务商于 3 个工作日内提交排查结果。")
    page.click("text=发送留言")
    sign_out(page)

    emails = {
        "贵州黔云科技有限公司": "provider@yunquan.example",
        "云上贵州大数据产业发展有限公司": "yunshang@yunquan.example",
        "遵义筑数信息技术有限公司": "zhudata@yunquan.example",
        "北京航天云网络科技有限公司": "hangtian@yunquan.example",
    }
    sign_in(page, emails[provider_name], DEMO_PASSWORD)
    page.goto(complaint_url)
    page.fill("#f-body", "经排查为连接池配置过小，已扩容并优化参数，请企业观察两天。")
    page.click("text=发送留言")
    screenshot(page, "complaint-in-progress-zh")
    sign_out(page)

    sign_in(page, OPERATOR, DEMO_PASSWORD)
    page.goto(complaint_url)
    page.fill("#f-resolution", "服务商已扩容连接池，企业确认连续两天未再超时，投诉办结。")
    page.click("text=办结投诉")
    assert "已办结" in page.inner_text("h1")
    assert "扩容连接池" in page.inner_text(".resolution")
    screenshot(page, "complaint-resolved-zh")

    # the audit trail: search the complaint, verify the chain
    page.goto("/staff/audit?subject_type=complaint")
    page.click("text=立即校验哈希链")
    assert "哈希链完整" in page.inner_text(".flash")
    assert "哈希链完整" in page.inner_text(".chain-status")
    screenshot(page, "audit-zh", full_page=False)
