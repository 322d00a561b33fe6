"""The contract-voucher pages (issue 14), in Chinese: the offer on the order page, the application, the
reviewers' queue, the printable voucher and the ranked round with its confirmation."""

import pytest

from shop.states import Role
from tests.helpers import fresh, make_order, make_org, make_staff, member, sign_in
from tests.services.test_contract_vouchers import CHENGZHONG, LANSHAN, LINYI, LIUZHOU, WAN, programme


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def linyi(session, today):
    today("2026-03-02")
    prog, authority = programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)
    enterprise = make_org(session, region_code=LANSHAN)
    provider = make_org(session, "provider")
    order = make_order(session, enterprise, provider, amount_fen=10 * WAN, voucher_fen=0)
    county = make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN)
    return prog, enterprise, provider, order, county


def test_the_enterprise_sees_the_amount_first_applies_and_the_county_issues(client, session, linyi):
    _prog, enterprise, provider, order, county = linyi
    sign_in(client, member(enterprise))
    page = text(client.get(f"/orders/{order.id}"))
    assert "¥30,000.00" in page and "¥70,000.00" in page  # 30% of ¥100,000, and what is left to pay
    assert "¥60,000.00" not in page  # ¥100,000 × 30% is below either cap: the certificate changes nothing
    answer = client.post(f"/orders/{order.id}/voucher-application", data={})
    assert answer.status_code == 302
    voucher_page = text(client.get(answer.headers["Location"]))
    assert "¥30,000.00" in voucher_page

    client.post("/logout")
    sign_in(client, county)
    queue = text(client.get("/contract-vouchers/reviews"))
    assert enterprise.name in queue and "2026年3月9日" in queue  # due in 5 working days
    from orders.voucher_models import ContractVoucher

    voucher = fresh(session).query(ContractVoucher).one()
    assert client.post(f"/contract-vouchers/{voucher.id}/review", data={"decision": "approve"}).status_code == 302
    printable = text(client.get(f"/contract-vouchers/{voucher.id}"))
    assert "linyi-2026-2026-000001" in printable and "2026年12月31日" in printable

    client.post("/logout")
    sign_in(client, member(enterprise))
    page = text(client.get(f"/orders/{order.id}"))
    assert "linyi-2026-2026-000001" in page
    assert "linyi-2026-2026-000001" in text(client.get("/contract-vouchers"))


def test_another_enterprise_or_county_does_not_see_the_voucher(client, session, linyi):
    _prog, enterprise, _provider, order, _county = linyi
    neighbour = make_org(session, region_code=LANSHAN)
    other_county = make_staff(session, Role.OPERATOR, jurisdiction="371311")
    sign_in(client, member(enterprise))
    client.post(f"/orders/{order.id}/voucher-application", data={})
    from orders.voucher_models import ContractVoucher

    voucher = fresh(session).query(ContractVoucher).one()
    session.rollback()
    client.post("/logout")
    sign_in(client, member(neighbour))
    assert client.get(f"/contract-vouchers/{voucher.id}").status_code == 404
    client.post("/logout")
    sign_in(client, other_county)
    assert client.get(f"/contract-vouchers/{voucher.id}").status_code == 404
    assert enterprise.name not in text(client.get("/contract-vouchers/reviews"))


def test_the_round_page_shows_the_ranking_and_asks_before_closing(client, session, today):
    today("2021-03-01")
    prog, authority = programme(session, "liuzhou", LIUZHOU, "liuzhou-2021", 2021, 6 * WAN)
    from tests.services.test_contract_vouchers import reviewed

    county = make_staff(session, Role.OPERATOR, jurisdiction=CHENGZHONG)
    city = make_staff(session, Role.OPERATOR, jurisdiction=LIUZHOU)
    provider = make_org(session, "provider")
    first, second = make_org(session, region_code=CHENGZHONG), make_org(session, region_code=CHENGZHONG)
    for org, score in ((first, 70), (second, 90)):
        order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021)
        reviewed(session, county, city, org, order, score)
    sign_in(client, authority)
    page = text(client.get(f"/programmes/{prog.id}/round"))
    assert page.index(second.name) < page.index(first.name)  # 90 before 70
    client.post(f"/programmes/{prog.id}/round/close", data={})  # not confirmed: nothing happens
    assert first.name in text(client.get(f"/programmes/{prog.id}/round"))
    client.post(f"/programmes/{prog.id}/round/close", data={"confirm": "yes"})
    assert first.name not in text(client.get(f"/programmes/{prog.id}/round"))
    client.post("/logout")
    sign_in(client, city)
    assert client.get(f"/programmes/{prog.id}/round").status_code == 403


def test_the_providers_confirmation_refunds_the_issued_vouchers_amount_on_the_card_at_once(app, client, session, today):
    from orders.payments import InProcessGateway
    from orders.voucher_models import ContractVoucher
    from tests.services.test_contract_vouchers import apply, approve

    today("2026-03-02")
    programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)
    enterprise, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    county = make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN)
    order = make_order(session, enterprise, provider, amount_fen=10 * WAN, voucher_fen=0, status="placed")
    gateway = InProcessGateway()
    app.extensions["orders.gateway"] = gateway
    intent = gateway.prepare(amount_fen=10 * WAN, payment_method="pm_card_visa", attempt_key="w1", description="")
    gateway.authorise(intent.id)
    order.payment_intent_id = intent.id
    session.commit()
    approve(session, county, apply(session, enterprise, order))  # issued on a hold: nothing to refund yet
    assert gateway.refunds == []

    sign_in(client, member(provider))
    assert client.post(f"/orders/{order.id}/confirm").status_code == 302
    # ¥100,000 captured, ¥30,000 (30%) back on the card at once: the enterprise pays ¥70,000
    assert gateway.refunds == [(intent.id, 3 * WAN)]
    assert fresh(session).query(ContractVoucher).one().card_refund_id
    client.post("/logout")
    sign_in(client, member(enterprise))
    assert "¥30,000.00" in text(client.get(f"/orders/{order.id}")) and "已退回" in text(
        client.get(f"/orders/{order.id}")
    )
