"""Sanctions through the pages: the operator suspends a provider from its page with a reason and an
end date; the provider reads both on its own page; its submitted claim is held (暂缓) — the operator
can only reject it — until the operator reinstates it, and then approves it. Screenshots under
docs/screenshots/."""

from shop.auth import hash_password
from shop.states import Role
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import grant_wallet, make_claim, make_order, make_org, make_programme, make_staff

PASSWORD = "journey-pass-2026"


def _world(app):  # type: ignore[no-untyped-def]
    session = app.extensions["shop.sessions"]()
    make_programme(session)
    tea = make_org(session, name="贵州湄潭绿茶制造有限公司")
    grant_wallet(session, tea)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司", email="qianyun@sanctions.example")
    orders = [
        make_order(session, tea, provider, amount_fen=12_000_00),
        make_order(session, tea, provider, amount_fen=3_000_00),
    ]
    claim = make_claim(session, provider, orders, app.config["UPLOAD_DIR"])
    operator = make_staff(session, Role.OPERATOR, email="operator@sanctions.example")
    for user in (provider.members[0], operator):
        user.password_hash = hash_password(PASSWORD)
    session.commit()
    ids = provider.id, claim.id
    session.close()
    return ids


def test_the_operator_suspends_a_provider_its_claim_is_held_until_it_is_reinstated(page, live_app, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-06-22")
    provider_id, claim_id = _world(live_app)

    sign_in(page, "operator@sanctions.example", PASSWORD)
    page.goto(f"/staff/organisations/{provider_id}")
    screenshot(page, "organisation-sanctions-zh")
    page.fill("#f-suspend-reason", "涉嫌虚开发票，暂停交易待核查")
    page.fill("#f-suspend-until", "2026-07-31")
    page.click("text=暂停 >> nth=-1")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "暂停至 2026年7月31日" in main and "涉嫌虚开发票，暂停交易待核查" in main
    screenshot(page, "organisation-suspended-zh")

    page.goto(f"/claims/{claim_id}")
    assert "暂缓" in page.inner_text("#held") and "贵州黔云科技有限公司" in page.inner_text("#held")
    assert page.locator("button[value=approve]").count() == 0
    screenshot(page, "claim-held-zh")
    sign_out(page)

    sign_in(page, "qianyun@sanctions.example", PASSWORD)
    page.goto("/organisation")
    assert "暂停至 2026年7月31日" in page.inner_text("#sanction")
    page.goto("/provider/claims")
    assert "暂缓" in page.inner_text("main")
    sign_out(page)

    sign_in(page, "operator@sanctions.example", PASSWORD)
    page.goto(f"/staff/organisations/{provider_id}")
    page.fill("#f-reinstate-reason", "核查无误，恢复交易")
    page.click("button:text('恢复资格')")
    page.wait_for_load_state()
    assert "已恢复资格" in page.inner_text(".flash")
    page.goto(f"/claims/{claim_id}")
    assert page.locator("#held").count() == 0
    page.click("button[value=approve]")
    page.wait_for_load_state()
    assert "您的决定已记录" in page.inner_text(".flash")
