"""The pages fit a phone: nothing wider than the screen, the navigation wraps."""

import pytest

from tests.browser.conftest import screenshot

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("path", ["/", "/register", "/login"])
def test_public_pages_fit_a_phone_screen(phone, path):
    phone.goto(path)
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
    if path == "/register":
        screenshot(phone, "register-phone-zh")
