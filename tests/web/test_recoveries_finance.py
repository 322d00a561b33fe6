"""The finance bureau and recoveries (issue 14, hardening): its navigation lists recoveries, and it reads
them and records repayments on the pages and in the API, as the services allow; it does not open a
recovery (an operator's or an authority's decision): 403 on the page, in the API and in the service."""

import pytest

from claims import recoveries
from claims.commands import RecoveryInput
from shop.errors import DomainError
from shop.states import Role
from tests.helpers import fresh, make_staff, sign_in, token_for
from tests.web.test_recoveries_web import _open, in_2026, world  # noqa: F401 (fixtures)


def test_the_finance_bureau_records_a_repayment_in_the_api_and_on_the_page(client, session, world):  # noqa: F811
    recovery = _open(session, world, 3_000_00)
    finance = make_staff(session, Role.FINANCE, jurisdiction="52")
    headers = token_for(session, finance)
    assert client.get(f"/api/v1/recoveries/{recovery.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/recoveries", headers=headers).json["items"][0]["id"] == recovery.id
    body = {"amount_fen": 1_000_00, "reference": "退款-001", "paid_on": "2026-03-02"}
    repaid = client.post(f"/api/v1/recoveries/{recovery.id}/repayments", json=body, headers=headers)
    assert repaid.status_code == 201, repaid.json
    assert repaid.json["owed_fen"] == 2_000_00
    sign_in(client, finance)
    assert client.get("/staff/recoveries").status_code == 200
    assert client.get(f"/staff/recoveries/{recovery.id}").status_code == 200
    form = {"amount": "500.00", "reference": "退款-002", "paid_on": "2026-03-02"}
    page = client.post(f"/staff/recoveries/{recovery.id}/repayments", data=form)
    assert page.status_code == 302
    assert fresh(session).get(type(recovery), recovery.id).owed_fen == 1_500_00


def test_the_finance_bureau_does_not_open_a_recovery(client, session, world):  # noqa: F811
    finance = make_staff(session, Role.FINANCE, jurisdiction="52")
    claim_id = world["claim"].id
    body = {"amount_fen": 1_000_00, "reason": "伪造交付记录"}
    api = client.post(f"/api/v1/claims/{claim_id}/recoveries", json=body, headers=token_for(session, finance))
    assert api.status_code == 403
    sign_in(client, finance)
    page = client.post(f"/staff/claims/{claim_id}/recoveries", data={"amount": "1000.00", "reason": "伪造交付记录"})
    assert page.status_code == 403
    with pytest.raises(DomainError) as caught:
        recoveries.open_recovery(session, finance, claim_id, RecoveryInput.from_input(body))
    assert caught.value.code == "forbidden"
