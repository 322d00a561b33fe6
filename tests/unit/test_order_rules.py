import pytest

from orders.rules import LineInput, allocate_vouchers, split_by_provider
from shop.policy import voucher_share_fen

RATIOS = {"infrastructure": 40, "platform": 60, "application": 60}


def line(provider=1, layer="infrastructure", price=10_000, qty=1, accepts=True, product=1):
    return LineInput(product, product * 10, provider, layer, price, qty, accepts)


def test_the_share_is_floored_to_the_fen():
    assert voucher_share_fen(999, 40) == 399  # 399.6 → 399
    assert voucher_share_fen(1, 60) == 0
    assert voucher_share_fen(100_000, 60) == 60_000


def test_each_layer_has_its_ratio():
    priced = allocate_vouchers(
        [line(layer="infrastructure"), line(layer="platform", product=2), line(layer="application", product=3)],
        ratios=RATIOS,
        available_fen=10**9,
        use_vouchers=True,
    )
    assert [p.voucher_fen for p in priced] == [4_000, 6_000, 6_000]
    assert [p.self_pay_fen for p in priced] == [6_000, 4_000, 4_000]


def test_lines_are_served_in_order_until_the_wallet_runs_out():
    priced = allocate_vouchers(
        [line(product=1), line(product=2), line(product=3)], ratios=RATIOS, available_fen=5_000, use_vouchers=True
    )
    assert [p.voucher_fen for p in priced] == [4_000, 1_000, 0]


def test_no_vouchers_for_products_that_take_none_for_affiliated_providers_or_by_choice():
    lines = [line(provider=1, accepts=False), line(provider=2, product=2), line(provider=3, product=3)]
    priced = allocate_vouchers(
        lines, ratios=RATIOS, available_fen=10**9, use_vouchers=True, affiliated_provider_ids=[2]
    )
    assert [p.voucher_fen for p in priced] == [0, 0, 4_000]
    assert all(
        p.voucher_fen == 0 for p in allocate_vouchers(lines, ratios=RATIOS, available_fen=10**9, use_vouchers=False)
    )


def test_an_empty_wallet_buys_at_its_own_expense():
    priced = allocate_vouchers([line()], ratios=RATIOS, available_fen=0, use_vouchers=True)
    assert (priced[0].voucher_fen, priced[0].self_pay_fen) == (0, 10_000)


def test_quantity_multiplies_before_the_share_is_taken():
    priced = allocate_vouchers([line(price=333, qty=3)], ratios=RATIOS, available_fen=10**9, use_vouchers=True)
    assert (priced[0].amount_fen, priced[0].voucher_fen) == (999, 399)


def test_one_order_per_provider_in_cart_order():
    priced = allocate_vouchers(
        [line(provider=7), line(provider=3, product=2), line(provider=7, product=3)],
        ratios=RATIOS,
        available_fen=10**9,
        use_vouchers=True,
    )
    plans = split_by_provider(priced)
    assert [p.provider_id for p in plans] == [7, 3]
    assert [len(p.lines) for p in plans] == [2, 1]
    assert plans[0].total_fen == 20_000 and plans[0].voucher_fen == 8_000 and plans[0].self_pay_fen == 12_000


@pytest.mark.parametrize("bad", [dict(qty=0), dict(price=-1)])
def test_nonsense_lines_are_refused(bad):
    with pytest.raises(ValueError):
        allocate_vouchers([line(**bad)], ratios=RATIOS, available_fen=0, use_vouchers=True)


def test_the_in_process_gateway_numbers_intents_uniquely_across_instances():
    """Two workers of a benchmark each hold a gateway: their intent ids must never collide."""
    from orders.payments import InProcessGateway

    ids = {
        gateway.prepare(amount_fen=100, payment_method="pm_card_ok", attempt_key=f"k{n}", description="x").id
        for gateway in (InProcessGateway(), InProcessGateway())
        for n in range(3)
    }
    assert len(ids) == 6
