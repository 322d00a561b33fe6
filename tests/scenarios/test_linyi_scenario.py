"""Scenario: the Linyi notice (《临沂市"云服务券"财政奖补实施细则》, ``/work/shared/seeds/000_…``) walked
from the contract to the payment through the JSON API, each step by the role and jurisdiction the
notice names. The figures are worked out by hand from the notice in the comments.

Who is who (the notice's bodies → the platform's roles):
- 市经信委 / 市财政局 (3713, 临沂市): the programme's authority, which sets the programme and approves the
  claims after the county's review;
- 兰山区经信局 (371302): an operator of the county, which reviews the applications (第十条) and the claims
  (第十三条 "县区经信局审核"), and deducts for poor quality;
- the finance bureau that pays (第十三条 says "县区财政局据此拨付资金"): the code sends a programme's
  payment requests to a finance bureau whose jurisdiction covers the programme's (``claims.payment_requests
  ._programme``: ``actor.oversees(programme.jurisdiction)``), so for the city's programme (3713) it is the
  city's bureau, 临沂市财政局 (3713); a county's bureau (371302) does not see the request. A county's own
  programme (jurisdiction 371302) would be paid by the county's bureau.

Setup that is not part of the notice (the certified enterprises and provider, its products, the staff
accounts) is written with the test helpers; everything from the programme on goes through the API.

Amounts: ¥1 = 100 fen; 万 = ¥10,000 = 1,000,000 fen.
"""

import pytest

from shop.states import Role
from tests.helpers import make_org, make_product, make_staff, member
from tests.scenarios.common import WAN, YUAN, People, assert_balanced, buy, ok, pdf

LINYI, LANSHAN = "3713", "371302"  # 临沂市, 兰山区


@pytest.fixture
def people(session, today):
    today("2026-03-02")  # a Monday; March 2026 has no public holiday
    provider = make_org(session, "provider", name="临沂云智科技有限公司", region_code=LANSHAN)
    first = make_org(session, name="临沂沂蒙机械制造有限公司", region_code=LANSHAN)
    certified = make_org(session, name="临沂兰山精工有限公司", region_code=LANSHAN)
    users = {
        "seller": member(provider),
        "buyer": member(first),
        "certified_buyer": member(certified),
        "authority": make_staff(session, Role.AUTHORITY, jurisdiction=LINYI),
        "county": make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN),
        "finance": make_staff(session, Role.FINANCE, jurisdiction=LINYI),
        "county_finance": make_staff(session, Role.FINANCE, jurisdiction=LANSHAN),
    }
    return People(
        session,
        users,
        provider=provider,
        first=first,
        certified=certified,
        product_150k=make_product(session, provider, price_fen=15 * WAN, name="工业云平台 年度服务"),
        product_300k=make_product(session, provider, price_fen=30 * WAN, name="工业云平台 集团版"),
        product_100k=make_product(session, provider, price_fen=10 * WAN, name="云主机 年度服务"),
    )


def test_linyi_from_the_contract_to_the_payment(app, client, people, gateway, today):
    p = people
    # -- the programme: 市级每年设立专项资金 (第四条); the claims every half year (第十三条) -----------------
    programme = ok(
        client.post(
            "/api/v1/programmes",
            json={
                "preset": "linyi",
                "code": "linyi-2026",
                "jurisdiction": LINYI,
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
                "budget_fen": 100 * WAN,  # ¥1,000,000
            },
            headers=p["authority"],
        ),
        201,
    )
    # 第十三条 "每半年通过平台申请兑现": the preset's settlement dates are 30 June and 31 December
    assert programme["settlement_dates"] == ["2026-06-30", "2026-12-31"]
    assert programme["schemes"][0]["flow"] == "contract"

    # -- first enterprise: the contract of ¥150,000, then the voucher -------------------------------------
    order = buy(client, p["buyer"], p["product_150k"])
    assert (order["total_fen"], order["voucher_fen"], order["self_pay_fen"]) == (15 * WAN, 0, 15 * WAN)
    ok(client.post(f"/api/v1/orders/{order['id']}/confirm", headers=p["seller"]))  # the card is captured
    voucher = ok(client.post(f"/api/v1/orders/{order['id']}/voucher-application", json={}, headers=p["buyer"]), 201)
    # 第十四条: ≤ 30% of the cost, ≤ ¥50,000: ¥150,000 × 30% = ¥45,000 (under the cap)
    assert (voucher["ratio"], voucher["amount_fen"]) == (30, 45_000 * YUAN)
    # 第十条: the county's 经信局 reviews, within 5 working days: Monday 2 March → Monday 9 March
    assert (voucher["status"], voucher["stage"], voucher["due_on"]) == ("applied", "county", "2026-03-09")
    # 第五条 先到先补: reserved from the budget at once
    assert ok(client.get("/api/v1/programmes/linyi-2026", headers=p["authority"]))["remaining_fen"] == 955_000 * YUAN

    review = f"/api/v1/contract-vouchers/{voucher['id']}/review"
    issued = ok(client.post(review, json={"decision": "approve"}, headers=p["county"]))
    # 第九条 "自动生成": issued with its number at the county's approval; valid to the programme's end
    assert (issued["status"], issued["number"], issued["valid_until"]) == (
        "issued",
        "linyi-2026-2026-000001",
        "2026-12-31",
    )
    # 第十一条 "相应抵减费用": the enterprise no longer pays the voucher: ¥45,000 back on its card,
    # ¥150,000 − ¥45,000 = ¥105,000 is what it paid
    assert issued["card_refund_fen"] == 45_000 * YUAN
    (intent, refunded) = gateway.refunds[0]
    assert refunded == 45_000 * YUAN
    seen = ok(client.get(f"/api/v1/orders/{order['id']}", headers=p["buyer"]))
    assert (seen["voucher_fen"], seen["self_pay_fen"], seen["wallet"]) == (
        45_000 * YUAN,
        105_000 * YUAN,
        "linyi-2026/default",
    )

    # -- second enterprise, with a valid 两化融合 certificate: ¥300,000 ---------------------------------
    big = buy(client, p["certified_buyer"], p["product_300k"])
    ok(client.post(f"/api/v1/orders/{big['id']}/confirm", headers=p["seller"]))
    applied = ok(
        client.post(
            f"/api/v1/orders/{big['id']}/voucher-application",
            json={"facts": {"certificates": ["lianghua"]}},
            headers=p["certified_buyer"],
        ),
        201,
    )
    # ¥300,000 × 30% = ¥90,000; 第十五条: with the certificate the cap is ¥60,000 (not 第十四条's ¥50,000)
    assert (applied["ratio"], applied["amount_fen"]) == (30, 60_000 * YUAN)
    issued_big = ok(
        client.post(
            f"/api/v1/contract-vouchers/{applied['id']}/review", json={"decision": "approve"}, headers=p["county"]
        )
    )
    assert issued_big["number"] == "linyi-2026-2026-000002"
    assert gateway.refunds[1][1] == 60_000 * YUAN  # ¥300,000 − ¥60,000 = ¥240,000 paid by the enterprise
    seen = ok(client.get(f"/api/v1/orders/{big['id']}", headers=p["certified_buyer"]))
    assert (seen["voucher_fen"], seen["self_pay_fen"]) == (60_000 * YUAN, 240_000 * YUAN)
    # the budget: ¥1,000,000 − ¥45,000 − ¥60,000 = ¥895,000
    assert ok(client.get("/api/v1/programmes/linyi-2026", headers=p["authority"]))["remaining_fen"] == 895_000 * YUAN
    assert_balanced(app)

    # -- the half-yearly claim (第十三条): on the settlement date of 30 June ------------------------------
    today("2026-06-30")
    claimable = ok(client.get("/api/v1/claimable-orders", headers=p["seller"]))
    assert sorted(o["id"] for o in claimable["items"]) == sorted([order["id"], big["id"]])
    assert claimable["voucher_fen"] == 105_000 * YUAN  # ¥45,000 + ¥60,000
    claim = ok(client.post("/api/v1/claims", json={"order_ids": [order["id"], big["id"]]}, headers=p["seller"]), 201)
    # the evidence of the preset (invoice, contract, bank transfer, usage record)
    for kind in ("invoice", "contract", "transfer", "usage"):
        form = {"kind": kind, "file": (pdf(), f"{kind}.pdf")}
        if kind == "invoice":
            form.update(invoice_number="37130000000001", invoice_amount_fen=str(45 * WAN))  # ¥150,000 + ¥300,000
        ok(
            client.post(
                f"/api/v1/claims/{claim['id']}/documents",
                data=form,
                headers=p["seller"],
                content_type="multipart/form-data",
            ),
            201,
        )
    claim = ok(client.post(f"/api/v1/claims/{claim['id']}/submit", headers=p["seller"]))
    assert (claim["status"], claim["settlement_date"], claim["total_fen"]) == (
        "submitted",
        "2026-06-30",
        105_000 * YUAN,
    )

    # 第十三条 "对云服务商提供服务存在质量问题的，相应扣减": the county finds the first contract's service
    # short of its terms and deducts ¥5,000 of its ¥45,000, with the reason the provider reads
    url = f"/api/v1/claims/{claim['id']}/orders/{order['id']}/deduction"
    assert client.post(url, json={"amount_fen": 5_000 * YUAN}, headers=p["county"]).status_code == 422  # why?
    reason = "服务质量问题：平台可用率未达合同约定的99.9%"
    claim = ok(client.post(url, json={"amount_fen": 5_000 * YUAN, "reason": reason}, headers=p["county"]))
    # what is paid: ¥105,000 − ¥5,000 = ¥100,000
    assert (claim["deducted_fen"], claim["payable_fen"]) == (5_000 * YUAN, 100_000 * YUAN)
    ok(client.post(f"/api/v1/claims/{claim['id']}/review", json={"decision": "approve"}, headers=p["county"]))
    ok(client.post(f"/api/v1/claims/{claim['id']}/review", json={"decision": "approve"}, headers=p["authority"]))
    mine = ok(client.get(f"/api/v1/claims/{claim['id']}", headers=p["seller"]))
    item = next(i for i in mine["orders"] if i["order_id"] == order["id"])
    assert (item["deducted_fen"], item["deduction_reason"]) == (5_000 * YUAN, reason)

    # -- the payment request to the finance bureau, and its transfer -------------------------------------
    sent = ok(
        client.post(
            "/api/v1/payment-requests",
            json={"programme_id": programme["id"], "settlement_date": "2026-06-30"},
            headers=p["authority"],
        ),
        201,
    )
    assert (sent["status"], sent["total_fen"], sent["claim_count"]) == ("sent", 100_000 * YUAN, 1)
    # the county's finance bureau does not pay the city's programme (see the docstring)
    assert client.get(f"/api/v1/payment-requests/{sent['id']}", headers=p["county_finance"]).status_code == 404
    paid = ok(
        client.post(
            f"/api/v1/payment-requests/{sent['id']}/transfer",
            json={"reference": "临财拨〔2026〕18号", "paid_on": "2026-06-30"},
            headers=p["finance"],
        )
    )
    assert (paid["status"], paid["paid_reference"], paid["total_fen"]) == ("paid", "临财拨〔2026〕18号", 100_000 * YUAN)
    claim = ok(client.get(f"/api/v1/claims/{claim['id']}", headers=p["seller"]))
    assert (claim["status"], claim["disbursed_fen"]) == ("disbursed", 100_000 * YUAN)
    for v in (voucher, applied):
        assert (
            ok(
                client.get(
                    f"/api/v1/contract-vouchers/{v['id']}", headers=p["buyer" if v is voucher else "certified_buyer"]
                )
            )["status"]
            == "redeemed"
        )
    # the deduction went back to the budget: ¥895,000 + ¥5,000 = ¥900,000
    assert ok(client.get("/api/v1/programmes/linyi-2026", headers=p["authority"]))["remaining_fen"] == 90 * WAN
    assert_balanced(app)

    # -- the report re-derives the figures from the ledger ---------------------------------------------
    report = ok(client.get("/api/v1/reports/programmes/2026?programme=linyi-2026", headers=p["authority"]))
    budget = report["budget"]
    assert budget["budget_fen"] == 100 * WAN
    assert budget["disbursed_fen"] == 100_000 * YUAN  # ¥45,000 + ¥60,000 − ¥5,000
    assert budget["deducted_fen"] == 5_000 * YUAN
    assert budget["remaining_fen"] == 90 * WAN
    # the budget is what is left plus what left it: ¥900,000 + ¥100,000 = ¥1,000,000
    assert budget["remaining_fen"] + budget["reserved_fen"] + budget["granted_fen"] == budget["budget_fen"]
    (row,) = [r for r in report["by_programme"] if r["scheme"] == "default"]
    assert (row["disbursed_fen"], row["deducted_fen"]) == (100_000 * YUAN, 5_000 * YUAN)

    # -- a later year: 第九条 "单个企业只享受一次" -------------------------------------------------------
    today("2027-03-01")
    ok(
        client.post(
            "/api/v1/programmes",
            json={
                "preset": "linyi",
                "code": "linyi-2027",
                "jurisdiction": LINYI,
                "starts_on": "2027-01-01",
                "ends_on": "2027-12-31",
                "budget_fen": 100 * WAN,
            },
            headers=p["authority"],
        ),
        201,
    )
    again = buy(client, p["buyer"], p["product_100k"])
    refused = client.post(f"/api/v1/orders/{again['id']}/voucher-application", json={}, headers=p["buyer"])
    assert (refused.status_code, refused.json["code"]) == (422, "not_eligible"), refused.json
    assert "只享受一次" in str(refused.json)
    # nothing was reserved for it: the 2027 budget is whole
    assert ok(client.get("/api/v1/programmes/linyi-2027", headers=p["authority"]))["remaining_fen"] == 100 * WAN
    assert_balanced(app)
