"""Sanction pages: the operator suspends, reinstates and expels from the organisation's page, with the
reason and the end date shown to staff and to the organisation; held (暂缓) claims on the claim pages;
the payment date on the payment form; a refund request on an order in a draft claim."""

import pytest

from claims import reviews
from claims import services as claims
from claims.commands import ClaimInput
from orgs import sanctions
from orgs.commands import SuspensionInput
from orgs.models import Organisation
from orgs.states import OrgStatus
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
    fresh,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_programme,
    make_staff,
    member,
    sign_in,
)


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, app):
    make_programme(session)
    enterprise = make_org(session, name="贵阳守信采购有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="黔云违规科技有限公司")
    return {
        "enterprise": enterprise,
        "provider": provider,
        "operator": make_staff(session, Role.OPERATOR),
        "authority": make_staff(session, Role.AUTHORITY),
        "finance": make_staff(session, Role.FINANCE),
        "uploads": app.config["UPLOAD_DIR"],
    }


def text(response):
    return response.get_data(as_text=True)


def test_the_operator_suspends_an_enterprise_with_a_reason_and_an_end_date(client, session, world):
    org = world["enterprise"]
    sign_in(client, world["operator"])
    page = text(client.get(f"/staff/organisations/{org.id}"))
    assert "暂停该组织" in page and 'name="until"' in page and 'min="2026-03-03"' in page
    response = client.post(f"/operator/organisations/{org.id}/suspend", data={"reason": "", "until": "2026-03-01"})
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-suspend-reason"' in page and 'id="e-suspend-until"' in page and "结束日期须晚于今天" in page
    response = client.post(
        f"/operator/organisations/{org.id}/suspend",
        data={"reason": "涉嫌虚开发票，待核查", "until": "2026-04-01"},
        follow_redirects=True,
    )
    page = text(response)
    assert response.status_code == 200
    assert "已暂停" in page and "暂停至 2026年4月1日" in page and "涉嫌虚开发票，待核查" in page
    assert fresh(session).get(Organisation, org.id).status == OrgStatus.SUSPENDED
    # the enterprise sees it on its own page
    sign_in(client, member(org))
    page = text(client.get("/organisation"))
    assert "暂停至 2026年4月1日" in page and "涉嫌虚开发票，待核查" in page


def test_the_operator_reinstates_from_the_page(client, session, world):
    org = world["provider"]
    sanctions.suspend_organisation(session, world["operator"], org.id, SuspensionInput.from_input({"reason": "待查"}))
    sign_in(client, world["operator"])
    page = text(client.get(f"/staff/organisations/{org.id}"))
    assert "暂停至运营方恢复为止" in page and "恢复资格" in page
    assert client.post(f"/operator/organisations/{org.id}/reinstate", data={"reason": ""}).status_code == 422
    response = client.post(
        f"/operator/organisations/{org.id}/reinstate", data={"reason": "已整改完毕"}, follow_redirects=True
    )
    assert "已恢复" in text(response)
    assert fresh(session).get(Organisation, org.id).status == OrgStatus.CERTIFIED


def test_only_the_operator_has_the_sanction_pages(client, session, world):
    org = world["enterprise"]
    for user in (world["authority"], member(org), member(world["provider"])):
        sign_in(client, user)
        for action in ("suspend", "reinstate", "expel"):
            response = client.post(f"/operator/organisations/{org.id}/{action}", data={"reason": "x"})
            assert response.status_code in (403, 404), (user.role, action)
    sign_in(client, world["authority"])
    page = text(client.get(f"/staff/organisations/{org.id}"))
    assert "暂停该组织" not in page
    assert fresh(session).get(Organisation, org.id).status == OrgStatus.CERTIFIED


def test_the_operator_expels_an_enterprise_from_its_page(client, session, world):
    org = world["enterprise"]
    sign_in(client, world["operator"])
    assert "清退该企业" in text(client.get(f"/staff/organisations/{org.id}"))
    page = text(client.get(f"/operator/organisations/{org.id}/expel"))
    assert "清退企业" in page and org.uscc in page
    response = client.post(
        f"/operator/organisations/{org.id}/expel", data={"reason": "骗取补贴", "blacklist": "1"}, follow_redirects=True
    )
    page = text(response)
    assert response.status_code == 200 and "已被清退" in page and "骗取补贴" in page
    assert fresh(session).get(Organisation, org.id).status == OrgStatus.EXPELLED


def test_the_blacklist_form_comes_filled_in_from_an_organisations_page(client, session, world):
    sign_in(client, world["operator"])
    page = text(client.get(f"/staff/organisations/{world['provider'].id}"))
    assert f"/operator/blacklist?uscc={world['provider'].uscc}" in page
    assert f'value="{world["provider"].uscc}"' in text(client.get(f"/operator/blacklist?uscc={world['provider'].uscc}"))
    client.post("/operator/blacklist", data={"uscc": world["provider"].uscc, "reason": "虚假服务"})
    page = text(client.get(f"/staff/organisations/{world['provider'].id}"))
    assert "已列入黑名单" in page and "虚假服务" in page


def test_a_held_claim_is_shown_as_held_to_staff_and_provider(client, session, world):
    claim = make_claim(
        session, world["provider"], [make_order(session, world["enterprise"], world["provider"])], world["uploads"]
    )
    sanctions.suspend_organisation(
        session,
        world["operator"],
        world["enterprise"].id,
        SuspensionInput.from_input({"reason": "待查", "until": "2026-05-01"}),
    )
    for user, listing in ((world["operator"], "/staff/claims"), (member(world["provider"]), "/provider/claims")):
        sign_in(client, user)
        assert "暂缓" in text(client.get(listing))
        page = text(client.get(f"/claims/{claim.id}"))
        assert "暂缓" in page and "贵阳守信采购有限公司" in page and "暂停至 2026年5月1日" in page
    sign_in(client, world["operator"])
    page = text(client.get(f"/claims/{claim.id}"))
    assert 'value="approve"' not in page and 'value="reject"' in page
    response = client.post(f"/claims/{claim.id}/review", data={"decision": "approve"})
    assert response.status_code == 409 and "贵阳守信采购有限公司" in text(response)


def test_the_payment_form_keeps_the_date_between_the_approval_and_today(client, session, world, today):
    claim = make_claim(
        session, world["provider"], [make_order(session, world["enterprise"], world["provider"])], world["uploads"]
    )
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    reviews.review_claim(session, world["authority"], claim.id, Decision(True))
    today("2026-03-06")
    sign_in(client, world["finance"])
    page = text(client.get(f"/claims/{claim.id}"))
    assert 'min="2026-03-02"' in page and 'max="2026-03-06"' in page
    response = client.post(f"/claims/{claim.id}/disburse", data={"reference": "GZ-1", "paid_on": "2026-03-01"})
    assert response.status_code == 422 and "不能早于省大数据局批准该申请的日期" in text(response)
    response = client.post(
        f"/claims/{claim.id}/disburse", data={"reference": "GZ-1", "paid_on": "2026-03-03"}, follow_redirects=True
    )
    assert "2026年3月3日" in text(response)


def test_the_buyer_asks_a_refund_of_an_order_in_a_draft_claim_and_the_provider_sees_it(client, session, world):
    orders = [make_order(session, world["enterprise"], world["provider"]) for _ in range(2)]
    draft = claims.create_claim(
        session, member(world["provider"]), ClaimInput.from_input({"order_ids": [o.id for o in orders]})
    )
    sign_in(client, member(world["enterprise"]))
    page = text(client.get(f"/orders/{orders[0].id}"))
    assert "refund-request" in page
    response = client.post(
        f"/orders/{orders[0].id}/refund-request", data={"reason": "服务未开通"}, follow_redirects=True
    )
    assert response.status_code == 200
    sign_in(client, member(world["provider"]))
    page = text(client.get(f"/claims/{draft.id}"))
    assert "买方申请退款" in page and "服务未开通" in page


def test_the_first_request_of_the_day_a_suspension_ends_reinstates_the_organisation(client, session, world, today):
    from tests.helpers import make_product

    product = make_product(session, world["provider"], name="黔云对象存储 标准型")
    sanctions.suspend_organisation(
        session,
        world["operator"],
        world["provider"].id,
        SuspensionInput.from_input({"reason": "待查", "until": "2026-03-10"}),
    )
    assert "黔云对象存储 标准型" not in text(client.get("/products"))
    today("2026-03-10")
    assert "黔云对象存储 标准型" in text(client.get("/products"))
    assert fresh(session).get(Organisation, world["provider"].id).status == OrgStatus.CERTIFIED
    assert fresh(session).get(type(product), product.id).status.value == "published"


def test_the_end_suspensions_command(app, session, world, today):
    sanctions.suspend_organisation(
        session,
        world["operator"],
        world["enterprise"].id,
        SuspensionInput.from_input({"reason": "待查", "until": "2026-03-10"}),
    )
    runner = app.test_cli_runner()
    assert "0 suspension(s) ended" in runner.invoke(args=["end-suspensions"]).output
    today("2026-03-11")
    assert "1 suspension(s) ended" in runner.invoke(args=["end-suspensions"]).output
    assert fresh(session).get(Organisation, world["enterprise"].id).status == OrgStatus.CERTIFIED


def test_a_sanctioned_organisations_name_is_shown_as_text(client, session, world):
    provider = make_org(session, "provider", name="<i>坏</i>云科技有限公司")
    claim = make_claim(session, provider, [make_order(session, world["enterprise"], provider)], world["uploads"])
    sanctions.suspend_organisation(
        session, world["operator"], provider.id, SuspensionInput.from_input({"reason": "待查"})
    )
    sign_in(client, world["operator"])
    page = text(client.post(f"/claims/{claim.id}/review", data={"decision": "approve"}))
    assert "&lt;i&gt;坏&lt;/i&gt;云科技有限公司" in page and "<i>坏</i>" not in page
