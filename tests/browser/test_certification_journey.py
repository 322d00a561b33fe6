"""An enterprise registers, uploads its documents, and the operator certifies it, all through the
pages; screenshots of the home page, registration and the review queue in Chinese and English."""

from orgs.demo import make_uscc
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import PDF, picture_png

PASSWORD = "journey-pass-2026"


def test_an_enterprise_registers_uploads_and_is_certified_by_the_operator(page, live_app, tmp_path):
    operator_email = "ops@journey.example"
    session = live_app.extensions["shop.sessions"]()
    from shop.accounts import User
    from shop.auth import hash_password
    from shop.states import Role

    session.add(User(email=operator_email, password_hash=hash_password(PASSWORD), role=Role.OPERATOR))
    session.commit()
    session.close()

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "云使用券" in page.inner_text("body")
    screenshot(page, "home-zh")

    page.click("text=企业注册")
    page.fill("#f-uscc", make_uscc("91520102MA6JR0001"))
    page.fill("#f-name", "贵阳云途数据服务有限公司")
    page.fill("#f-region_code", "520102")
    page.fill("#f-established_on", "2019-06-18")
    page.fill("#f-legal_representative", "吴明")
    page.fill("#f-contact_name", "吴小雨")
    page.fill("#f-contact_phone", "0851-86660001")
    page.fill("#f-email", "wu@yuntu.example")
    page.fill("#f-password", "short")
    page.click("form button[type=submit]")
    assert page.locator("#e-password").is_visible()  # the message beside its field
    assert page.input_value("#f-name") == "贵阳云途数据服务有限公司"  # nothing typed is lost
    screenshot(page, "register-zh")
    page.fill("#f-password", PASSWORD)
    page.click("form button[type=submit]")

    assert "上传实名认证材料" in page.inner_text("body")
    licence, form, id_card = tmp_path / "营业执照.png", tmp_path / "实名认证申请表.pdf", tmp_path / "身份证.png"
    licence.write_bytes(picture_png())
    form.write_bytes(PDF)
    id_card.write_bytes(picture_png(rgb=(250, 229, 211)))
    page.set_input_files("#f-business_licence", str(licence))
    page.set_input_files("#f-realname_form", str(form))
    page.set_input_files("#f-contact_id_card", str(id_card))
    page.click("form.upload-form button[type=submit]")
    assert "审核中" in page.inner_text("h1")
    sign_out(page)

    sign_in(page, operator_email, PASSWORD)
    page.goto("/operator/certifications")
    assert page.locator("nav .count").first.inner_text() == "1"
    assert "贵阳云途数据服务有限公司" in page.inner_text("table")
    screenshot(page, "review-queue-zh")
    page.click("a[lang=en]")
    assert "Certification queue" in page.inner_text("h1")
    screenshot(page, "review-queue-en")
    page.click("a[lang=zh-CN]")
    page.click("table a[role=button]")
    assert page.locator(".review-documents img").count() == 2
    screenshot(page, "review-detail-zh")
    page.fill("#f-reason", "")
    page.click("button[value=approve]")
    assert "已通过认证" in page.inner_text(".flash")
    assert "暂无待审核事项" in page.inner_text("main")

    # the public pages in English
    page.click("a[lang=en]")
    sign_out(page)
    page.goto("/register")
    assert "Register your organisation" in page.inner_text("h1")
    screenshot(page, "register-en")
    page.goto("/")
    screenshot(page, "home-en")

    sign_in(page, "wu@yuntu.example", PASSWORD)
    page.goto("/organisation")
    assert "Certified" in page.inner_text("h1")
