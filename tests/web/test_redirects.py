"""Redirect targets that come from a request stay on this site (issue 11, M1, L7 and L2's CR/LF):
the language switch, sign-in, the cart and the error page's "Back" link."""

import re
from urllib.parse import quote, urlsplit

import pytest

from tests.helpers import PASSWORD, make_org, make_product, member, sign_in

# what a phisher would put in ``next`` (each found in the review or a known browser quirk)
HOSTILE = [
    "/\t/evil.example",
    "/%09/evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/phish",
    "http:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/\r\n/evil.example",
    "\n//evil.example",
    "/%0d%0aX-Injected:1",
    "/\r\nX-Injected: 1",
    "///evil.example",
    "/\x00/evil.example",
    "/\u3000/evil.example",
    "evil.example",
    "//evil.example/%2F..",
    "/\t\\evil.example",
]


def lands_on_this_site(location):
    """Where a browser goes: it drops tabs and line breaks (and spaces at the ends) and reads a
    backslash as a slash."""
    seen = re.sub(r"[\x00-\x20\x7f]", "", location).replace("\\", "/")
    parts = urlsplit(seen)
    return not parts.scheme and not parts.netloc and seen.startswith("/") and not seen.startswith("//")


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_stays_on_this_site(client, target):
    response = client.get(f"/lang/en?next={quote(target, safe='/%:')}")
    assert response.status_code == 302
    assert lands_on_this_site(response.headers["Location"]), response.headers["Location"]
    assert "X-Injected" not in response.headers


def test_the_language_switch_still_goes_back_to_the_page_it_was_on(client):
    assert client.get("/lang/en?next=/products%3Fq%3D%E4%BA%91").headers["Location"] == "/products?q=%E4%BA%91"


def test_signing_in_never_leads_off_site(client, session):
    org = make_org(session)
    for target in HOSTILE:
        client.post("/logout")
        response = client.post(
            f"/login?next={quote(target, safe='/%:')}", data={"email": member(org).email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert lands_on_this_site(response.headers["Location"]), (target, response.headers["Location"])
    client.post("/logout")
    response = client.post("/login?next=/wallet", data={"email": member(org).email, "password": PASSWORD})
    assert response.headers["Location"] == "/wallet"


def test_the_cart_neither_follows_a_foreign_next_nor_a_foreign_referer(client, session):
    enterprise, provider = make_org(session), make_org(session, "provider")
    product = make_product(session, provider)
    sign_in(client, member(enterprise))
    added = client.post("/cart/add", data={"product_id": product.id, "next": "https://evil.example/phish"})
    assert added.status_code == 302 and lands_on_this_site(added.headers["Location"])
    back = client.post("/cart/add", data={"product_id": product.id, "next": f"/products/{product.id}"})
    assert back.headers["Location"] == f"/products/{product.id}"
    refused = client.post("/cart/add", data={"product_id": "nope"}, headers={"Referer": "https://evil.example/x"})
    assert refused.status_code == 302 and lands_on_this_site(refused.headers["Location"])
    own = client.post(
        "/cart/add", data={"product_id": "nope"}, headers={"Referer": f"http://localhost/products/{product.id}?tab=1"}
    )
    assert own.headers["Location"] == f"/products/{product.id}?tab=1"


def test_the_error_pages_back_link_works_without_script(client):
    page = client.get("/staff/nothing-here", headers={"Referer": "http://localhost/products?q=x"})
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "javascript:" not in html
    assert 'href="/products?q=x"' in html
    foreign = client.get("/staff/nothing-here", headers={"Referer": "https://evil.example/"}).get_data(as_text=True)
    assert "evil.example" not in foreign
