"""A value interpolated into a translated message is text on the page, never markup (issue 11, L3):
flask_babel's lazy strings declare themselves safe HTML."""

import io

import pytest

from shop.states import Role
from tests.helpers import PDF, grant_wallet, make_order, make_org, make_programme, make_staff, member, sign_in

MARKUP = "<svg/onload=alert(document.domain)><b>LAZYXSS</b>"


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def test_a_typed_date_in_a_field_error_is_shown_as_text(client, session):
    sign_in(client, make_staff(session, Role.AUTHORITY))
    response = client.post(
        "/authority/programmes/new",
        data={
            "year": "2027",
            "budget": "1000000",
            "enterprise_cap": "50000",
            "ratio_infrastructure": "40",
            "ratio_platform": "60",
            "ratio_application": "60",
            "settlement_dates": MARKUP,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<b>LAZYXSS</b>" not in page and "<svg" not in page
    assert "&lt;b&gt;LAZYXSS&lt;/b&gt;" in page


def test_an_invoice_number_already_in_a_claim_is_shown_as_text(client, session, app):
    from claims import documents
    from claims import services as claims
    from claims.commands import ClaimInput, DocumentInput

    make_programme(session)
    enterprise, provider = make_org(session), make_org(session, "provider")
    grant_wallet(session, enterprise)
    first, second = make_order(session, enterprise, provider), make_order(session, enterprise, provider)
    user = member(provider)
    taken = claims.create_claim(session, user, ClaimInput.from_input({"order_ids": [first.id]}))
    documents.add_claim_document(
        session,
        user,
        taken.id,
        DocumentInput.from_input(
            {"kind": "invoice", "invoice_number": "<b>INV</b>1", "invoice_amount_fen": first.total_fen}
        ),
        (io.BytesIO(PDF), "invoice.pdf"),
        app.config["UPLOAD_DIR"],
    )
    claim = claims.create_claim(session, user, ClaimInput.from_input({"order_ids": [second.id]}))
    sign_in(client, user)
    response = client.post(
        f"/claims/{claim.id}/documents",
        data={
            "kind": "invoice",
            "invoice_number": "<b>INV</b>1",
            "invoice_amount": "10000",
            "file": (io.BytesIO(PDF), "invoice.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<B>INV</B>1" not in page and "&lt;B&gt;INV&lt;/B&gt;1" in page


def test_messages_are_text_wherever_they_are_rendered(app):
    from flask import render_template_string

    from shop.i18n import _l

    message = _l("Enter dates as YYYY-MM-DD: %(value)s is not one.", value="<i>x</i>")
    with app.test_request_context("/api/v1/me", headers={"Accept-Language": "en"}):
        assert (
            render_template_string("{{ m }}|{{ [m]|join(' ') }}", m=message)
            == "Enter dates as YYYY-MM-DD: &lt;i&gt;x&lt;/i&gt; is not one.|"
            "Enter dates as YYYY-MM-DD: &lt;i&gt;x&lt;/i&gt; is not one."
        )
        assert str(message) == "Enter dates as YYYY-MM-DD: <i>x</i> is not one."  # text, for JSON and logs
    assert "Bearer &lt;token&gt;" in str(_l("Send the token as: Authorization: Bearer <token>.").__html__())


def test_messages_in_json_are_plain_text(app):
    from flask import jsonify

    from shop.i18n import _l

    with app.test_request_context("/api/v1/me", headers={"Accept-Language": "en"}):
        body = jsonify({"m": _l("Enter dates as YYYY-MM-DD: %(value)s is not one.", value="O'Brien <b>")}).json
    assert body == {"m": "Enter dates as YYYY-MM-DD: O'Brien <b> is not one."}
