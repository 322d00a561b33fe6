"""Baiyun's public cloud vouchers end to end: an enterprise of 白云区 declares last year's taxes and
applies, the district's operator grants it into its 5 working days of public notice, the grant takes
effect after the notice and its 复核 window, and the cart is priced with the public-cloud wallet (50%
of a compute product); the wallets page again in English. Screenshots under docs/screenshots/
(``make screenshots``).

Dates: 2 March 2026 is a Monday and March 2026 has no public holidays. Published on 2 March for 5
working days, the notice ends on Monday 9 March; a 复核 may be asked for 5 working days after it (to
Monday 16 March), so the grant takes effect on Tuesday 17 March (as tests/services/test_programme_presets.py).
"""

import datetime as dt

from shop.auth import hash_password
from shop.states import Role
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import make_org, make_product, make_staff
from wallet import grants, policies
from wallet.commands import ProgrammeSpec

PASSWORD = "journey-pass-2026"
BAIYUN = "440111"
ENTERPRISE = "广州白云云智物流有限公司"


def _baiyun(app):  # type: ignore[no-untyped-def]
    """Baiyun 2026 from its preset (¥50,000,000), its operator, an enterprise of the district and a
    provider with a compute product at ¥3,000 a month. Returns the product's id."""
    session = app.extensions["shop.sessions"]()
    authority = make_staff(session, Role.AUTHORITY, "gxj@baiyun.example", jurisdiction=BAIYUN)
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": "baiyun-2026",
            "title": "白云区服务券（2026 年度）",
            "jurisdiction": BAIYUN,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": 50_000_000_00,
            "settlement_dates": ["2026-06-30", "2026-12-20"],
        }
    )
    policies.create_from_preset(session, authority, spec)
    operator = make_staff(session, Role.OPERATOR, "ops@baiyun.example", jurisdiction=BAIYUN)
    enterprise = make_org(
        session, region_code=BAIYUN, name=ENTERPRISE, email="it@yunzhi.example", established_on=dt.date(2018, 6, 1)
    )
    provider = make_org(
        session, "provider", region_code=BAIYUN, name="广州白云算力科技有限公司", email="sales@suanli.example"
    )
    hashed = hash_password(PASSWORD)
    for user in (operator, enterprise.members[0]):
        user.password_hash = hashed
    session.commit()
    product = make_product(
        session,
        provider,
        price_fen=3_000_00,
        layer="infrastructure",
        category="compute",
        name="云服务器 ECS 通用型 8 核 32G",
    )
    product_id = product.id
    session.close()
    return product_id


def test_a_baiyun_enterprise_is_granted_public_cloud_vouchers_and_spends_them(page, live_app, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-03-02")
    product_id = _baiyun(live_app)

    # 1. the enterprise declares last year's taxes (¥1,200,000: below ¥5,000,000 → cap ¥100,000)
    sign_in(page, "it@yunzhi.example", PASSWORD)
    page.goto("/wallet/programmes")
    offer = page.locator("#programme-baiyun-2026")
    assert "白云区服务券（2026 年度）" in offer.inner_text()
    scheme = page.locator("#scheme-baiyun-2026-public_cloud")
    assert "上年度纳税额" in scheme.inner_text()
    page.fill("#f-baiyun-2026-public_cloud-last_year_tax", "1200000")
    scheme.locator("button[name=preview]").click()
    page.wait_for_load_state()
    assert "¥100,000.00" in page.inner_text("#scheme-baiyun-2026-public_cloud [role=status]")
    page.locator("#scheme-baiyun-2026-public_cloud").scroll_into_view_if_needed()
    screenshot(page, "baiyun-apply-zh")
    page.locator("#scheme-baiyun-2026-public_cloud form button:not([name=preview])").click()
    page.wait_for_load_state()
    flash = page.inner_text(".flash")
    assert "已为您预留 ¥100,000.00" in flash, flash
    application_id = int(page.url.rsplit("application-", 1)[1])
    card = page.inner_text(f"#application-{application_id}")
    assert "¥1,200,000.00" in card  # the taxes declared, as the reviewer will see them
    sign_out(page)

    # 2. the operator of 白云区 reviews the facts and grants the cap, confirming; the grant is published
    sign_in(page, "ops@baiyun.example", PASSWORD)
    page.goto("/operator/quota-applications")
    page.click(f"a[href='/operator/quota-applications/{application_id}']")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert ENTERPRISE in main and "¥1,200,000.00" in main
    assert "¥100,000.00" in page.inner_text(".figures")  # the cap the taxes give, all of it reserved
    page.click("button[value=approve]")  # not confirmed: refused, beside the box
    page.wait_for_load_state()
    assert page.locator("#e-confirm").count() == 1
    page.check("#f-confirm")
    page.click("button[value=approve]")
    page.wait_for_load_state()
    flash = page.inner_text(".flash")
    assert "已核定 ¥100,000.00" in flash and "2026-03-09" in flash, flash
    assert "公示中" in page.inner_text("h1")  # the status: in its public notice
    notice = page.inner_text("main .notice-attention")
    assert "2026年3月9日" in notice and "2026年3月17日" in notice, notice
    screenshot(page, "baiyun-review-zh")
    sign_out(page)

    # 3. 16 March, the last day a 复核 may be asked for: still in notice; 17 March: issued
    monkeypatch.setenv("SHOP_TODAY", "2026-03-16")
    session = live_app.extensions["shop.sessions"]()
    assert grants.issue_after_notice(session) == 0
    monkeypatch.setenv("SHOP_TODAY", "2026-03-17")
    assert grants.issue_after_notice(session) == 1
    session.close()

    sign_in(page, "it@yunzhi.example", PASSWORD)
    page.goto("/wallets")
    card = page.locator(f"#application-{application_id}")
    text = card.inner_text()
    assert "公有云" in text and "已发放" in card.locator("header .badge").inner_text(), text
    assert "¥100,000.00" in card.locator("dl.facts").inner_text()
    assert card.locator(".notice-attention").count() == 0  # no longer in its notice
    screenshot(page, "baiyun-wallets-zh")

    # 4. a compute product of ¥3,000 a month: the public-cloud wallet pays 50%
    page.goto(f"/products/{product_id}")
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_selector("form.add-to-cart .added a")
    page.goto("/cart")
    row = page.inner_text("#cart tbody tr")
    assert "云服务器 ECS 通用型 8 核 32G" in row and "¥3,000.00" in row and "¥1,500.00" in row, row
    figures = page.inner_text("#cart .figures")
    assert "¥3,000.00" in figures  # total
    assert figures.count("¥1,500.00") == 2  # vouchers pay, you pay
    assert "¥100,000.00 → ¥98,500.00" in figures, figures
    screenshot(page, "baiyun-cart-zh")

    # 5. the wallets page in English
    page.goto("/lang/en?next=/wallets")
    card = page.locator(f"#application-{application_id}")
    text = card.inner_text()
    assert "My applications and wallets" in page.inner_text("h1")
    assert card.locator("header .badge").inner_text() == "Granted"
    assert "Available" in text and "December 31, 2026" in text and "¥100,000.00" in text, text
    screenshot(page, "baiyun-wallets-en")
