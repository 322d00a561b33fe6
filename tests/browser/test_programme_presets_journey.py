"""The authority creates a Baiyun programme from its preset, reads its policy in words, adjusts a cap
with a reason and sees version 2 in the history; then the same pages in English. Screenshots under
docs/screenshots/ (``make screenshots``)."""

from shop.accounts import User
from shop.auth import hash_password
from shop.states import Role
from tests.browser.conftest import screenshot, sign_in

PASSWORD = "journey-pass-2026"
CAP = '[name="overrides.schemes.public_cloud.cap_fen"]'


def _authority(app):  # type: ignore[no-untyped-def]
    session = app.extensions["shop.sessions"]()
    session.add(User(email="gxj@baiyun.example", password_hash=hash_password(PASSWORD), role=Role.AUTHORITY))
    session.commit()
    session.close()


def test_the_authority_creates_a_baiyun_programme_and_reads_its_policy(page, live_app, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-03-02")
    _authority(live_app)
    sign_in(page, "gxj@baiyun.example", PASSWORD)

    page.goto("/programmes")
    page.click("text=新建项目（按预设）")
    page.click(".preset-choice >> text=白云区服务券")
    assert "即将推出" in page.inner_text(".preset-choice")
    assert page.input_value(CAP) == "100000.00"
    page.fill("#f-code", "baiyun-2026")
    page.fill("#f-title", "白云区服务券（2026 年度）")
    page.fill("#f-jurisdiction", "440111")
    page.fill("#f-budget", "10000000")
    page.fill("#f-starts_on", "2026-01-01")
    page.fill("#f-ends_on", "2026-12-31")
    page.fill("#f-settlement_dates", "2026-06-30, 2026-12-20")
    screenshot(page, "programme-from-preset-zh")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state()

    assert "项目 baiyun-2026 已创建" in page.inner_text(".flash")
    policy = page.inner_text("#policy")
    assert "上年纳税 ≥ ¥20,000,000.00：上限 ¥1,000,000.00" in policy
    assert "额度发放前公示 5 个工作日" in policy
    screenshot(page, "programme-policy-zh")

    page.click("text=调整政策")
    page.fill(CAP, "150000")
    page.fill("#f-reason", "区财政追加预算，提高公有云基础上限")
    page.click("#adjust button[type=submit]")
    page.wait_for_load_state()
    history = page.inner_text("#history")
    assert "政策第 2 版已生效" in page.inner_text(".flash")
    assert "¥100,000.00 → ¥150,000.00" in history and "区财政追加预算" in history
    page.locator("#history").scroll_into_view_if_needed()
    screenshot(page, "programme-history-zh")

    page.goto("/lang/en?next=/programmes/baiyun-2026")
    policy = page.inner_text("#policy")
    assert "taxes ≥ ¥20,000,000.00: cap ¥1,000,000.00" in policy
    assert "published for 5 working days before the quota is issued" in policy
    assert "Versions of the policy" in page.inner_text("#history")
    screenshot(page, "programme-policy-en")
    page.goto("/authority/programmes/from-preset?preset=baiyun")
    assert "coming" in page.inner_text(".preset-choice")
    screenshot(page, "programme-from-preset-en")
