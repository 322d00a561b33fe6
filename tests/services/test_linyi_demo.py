"""The Linyi demo (``orders.demo_linyi``): this year's programme from its preset, the county's issued
voucher for ``linyi@``'s order (¥180,000 × 30% = ¥54,000 with its 两化融合 certificate), refunded on the
card once the provider confirmed, and ``lanshan@``'s order offered a voucher; a second run adds nothing."""

from sqlalchemy import func, select

from orders.models import Order
from orders.states import OrderStatus, VoucherStatus
from orders.voucher_models import ContractVoucher
from orgs.demo import demo_org
from shop.seed import demo_logins
from tests.helpers import fresh
from wallet.ledger_check import verify
from wallet.models import Programme


def test_the_linyi_demo_has_an_issued_voucher_and_an_order_waiting_for_its_application(
    app, session, client, payments, today
):
    today("2026-03-02")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    s = fresh(session)
    programme = s.scalars(select(Programme).where(Programme.code == "linyi-2026")).one()
    assert (programme.preset, programme.jurisdiction) == ("linyi", "3713")
    voucher = s.scalars(select(ContractVoucher)).one()
    assert (voucher.status, voucher.amount_fen, voucher.number) == (
        VoucherStatus.ISSUED,
        54_000_00,
        "linyi-2026-2026-000001",
    )
    assert voucher.card_refund_id  # the ¥54,000 went back on the card after the confirmation
    order = s.get(Order, voucher.order_id)
    assert (order.status, order.total_fen, order.self_pay_fen) == (OrderStatus.CONFIRMED, 180_000_00, 126_000_00)
    waiting = s.scalars(select(Order).where(Order.enterprise_id == demo_org(s, "lanshan_food").id)).one()
    assert (waiting.status, waiting.voucher_fen) == (OrderStatus.PLACED, 0)
    assert verify(s).ok

    emails = [email for _role, email in demo_logins()]
    for email in ("linyi-county@", "linyi-authority@", "linyi-finance@", "linyi@", "lanshan@", "yimeng@"):
        assert email + "yunquan.example" in emails

    # lanshan@ sees what a voucher for its order would be (¥36,000 × 30% = ¥10,800)
    client.post("/login", data={"email": "lanshan@yunquan.example", "password": "yunquan-demo-2026"})
    page = client.get(f"/orders/{waiting.id}").get_data(as_text=True)
    assert "¥10,800.00" in page and "¥25,200.00" in page

    counts = (
        s.scalar(select(func.count()).select_from(Order)),
        s.scalar(select(func.count()).select_from(ContractVoucher)),
    )
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    s = fresh(session)
    assert (
        s.scalar(select(func.count()).select_from(Order)),
        s.scalar(select(func.count()).select_from(ContractVoucher)),
    ) == counts
