"""From claim to disbursement through the pages: a provider puts its confirmed orders in a claim with
its evidence and submits it; the operator takes one order out and approves; the authority queries,
the operator answers, the authority approves, exports the settlement date (progress, then the
file) and records the payment; the provider sees it paid. Screenshots under docs/screenshots/."""

from shop.auth import hash_password
from shop.states import Role
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import PDF, grant_wallet, make_order, make_org, make_programme, make_staff, picture_png

PASSWORD = "journey-pass-2026"


def _world(app):  # type: ignore[no-untyped-def]
    session = app.extensions["shop.sessions"]()
    make_programme(session)
    tea = make_org(session, name="贵州湄潭绿茶制造有限公司")
    parts = make_org(session, name="安顺精工汽车零部件有限公司")
    for org in (tea, parts):
        grant_wallet(session, org)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司", email="qianyun@journey.example")
    orders = [
        make_order(session, tea, provider, amount_fen=12_000_00),
        make_order(session, parts, provider, amount_fen=8_000_00),
        make_order(session, tea, provider, amount_fen=3_000_00),
    ]
    operator = make_staff(session, Role.OPERATOR, email="operator@journey.example")
    authority = make_staff(session, Role.AUTHORITY, email="authority@journey.example")
    finance = make_staff(session, Role.FINANCE, email="finance@journey.example")
    for user in (provider.members[0], operator, authority, finance):
        user.password_hash = hash_password(PASSWORD)
    session.commit()
    ids = [o.id for o in orders]
    session.close()
    return ids


def _upload(page, kind: str, name: str, data: bytes, mime: str, number: str = "", amount: str = "") -> None:  # type: ignore[no-untyped-def]
    page.select_option("#f-kind", kind)
    page.set_input_files("#f-file", files=[{"name": name, "mimeType": mime, "buffer": data}])
    if number:
        page.fill("#f-invoice_number", number)
        page.fill("#f-invoice_amount", amount)
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    assert "材料已添加" in page.inner_text(".flash"), page.inner_text("main")


def test_a_claim_from_the_providers_draft_to_the_authoritys_payment(page, live_app, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-06-22")
    orders = _world(live_app)

    sign_in(page, "qianyun@journey.example", PASSWORD)
    page.click("header >> text=兑现申请")
    page.click("text=新建兑现申请")
    assert "可申请兑现的订单 3 笔，云使用券合计 ¥9,200.00" in page.inner_text("main")
    page.check("#select-all")
    screenshot(page, "claims-claimable-zh")
    page.click("text=用所选订单创建兑现申请草稿")
    assert "已创建兑现申请草稿" in page.inner_text(".flash")
    _upload(page, "invoice", "增值税专用发票.pdf", PDF, "application/pdf", "5200 2026 0001", "23,000.00")
    _upload(page, "contract", "上云服务合同.pdf", PDF, "application/pdf")
    _upload(page, "transfer", "银行回单.png", picture_png(), "image/png")
    page.click("text=提交兑现申请")  # the usage evidence is still missing
    assert "尚缺：使用证明" in page.inner_text("main")
    _upload(page, "usage", "使用情况证明.pdf", PDF, "application/pdf")
    screenshot(page, "claim-draft-zh")
    page.click("text=提交兑现申请")
    assert "兑现节点 2026-06-30" in page.inner_text(".flash")
    sign_out(page)

    sign_in(page, "operator@journey.example", PASSWORD)
    page.click("header >> text=兑现申请")
    assert "兑现节点 2026年6月30日" in page.inner_text("main")
    screenshot(page, "claims-operator-zh")
    page.click("table >> text=#")
    page.fill(f"input[aria-label='移出订单 #{orders[2]} 的理由']", "使用证明未覆盖该订单")
    page.click(f"form[action$='/orders/{orders[2]}/exclude'] button")
    assert "已移出" in page.inner_text("main") and "¥8,000.00" in page.inner_text(".figures")
    screenshot(page, "claim-review-zh")
    page.click("button[value=approve]")
    sign_out(page)

    sign_in(page, "authority@journey.example", PASSWORD)
    page.click("header >> text=兑现申请")
    page.click("table >> text=#")
    page.click("text=向运营方问询")
    page.fill("#f-question", "第二笔订单的转账记录与发票金额是否一致？")
    page.click("text=发送问询")
    assert "答复期限为 2026-06-25" in page.inner_text(".flash")
    claim_url = page.url
    sign_out(page)

    sign_in(page, "operator@journey.example", PASSWORD)
    page.goto("/staff/claim-queries")
    page.click("table a")
    page.fill("textarea[name=answer]", "已核对，转账记录与发票一致。")
    page.click("form[action$='/answer'] button")
    assert "您的答复已发送给省大数据局" in page.inner_text(".flash")
    sign_out(page)

    sign_in(page, "authority@journey.example", PASSWORD)
    page.goto(claim_url)
    assert "已核对，转账记录与发票一致。" in page.inner_text("main")
    page.click("button[value=approve]")
    page.click("header >> text=兑现申请")
    page.click("form.inline button:has-text('XLSX')")
    page.wait_for_selector("text=下载")  # htmx followed the progress
    screenshot(page, "claims-export-zh")
    with page.expect_download() as download:
        page.click("text=下载")
    assert download.value.suggested_filename == "兑现申请 2026-06-30.xlsx"
    # 拨付申请: the authority sends the approved claims of the date to the finance bureau
    page.click("header >> text=拨付申请")
    page.click("button:has-text('报送财政局')")
    assert "已报送财政局" in page.inner_text(".flash")
    screenshot(page, "payment-request-sent-zh")
    sign_out(page)

    sign_in(page, "finance@journey.example", PASSWORD)  # lands on its payment requests
    page.click("main table a")
    page.fill("#f-reference", "黔财拨〔2026〕88号")
    page.click("button:has-text('登记转账')")
    assert "转账已登记" in page.inner_text(".flash")
    screenshot(page, "payment-request-paid-zh")
    page.goto(claim_url)
    screenshot(page, "claim-disbursed-zh")
    sign_out(page)

    sign_in(page, "qianyun@journey.example", PASSWORD)
    page.goto("/provider/claims")
    listing = page.inner_text("main")
    assert "已拨付" in listing and "¥8,000.00" in listing
    page.click("text=English")
    page.click("table a")
    assert "Paid out" in page.inner_text("main") and "Payment recorded" in page.inner_text("main")
    screenshot(page, "claim-disbursed-en")
