"""Scenario: the Liuzhou notice (《柳州市企业上云服务券实施细则（试行）》, ``/work/shared/seeds/001_…``) in
2021, walked from the contracts to the payments through the JSON API, each step by the role and
jurisdiction the notice names; the figures are worked out by hand from the notice in the comments.

Who is who (the notice's bodies → the platform's roles):
- 市工业和信息化局 (4502, 柳州市): the programme's authority (第十一条 the call, 第十四条 the grant); it closes
  the ranked round, approves the claims on the experts' opinion (第二十二条) and recovers (第二十三条);
- 企业所在地工业主管部门 (450202, 城中区): an operator of the county, the first review (第十三条 "初审");
- the city's review (第十三条 "由市工业和信息化局进行审核"): an operator of the city (4502), with a score, since
  the vouchers are granted 择优 (第十三条) — ranked by score while the budget lasts (第十四条 "额满即止");
- 市财政局 (4502): the finance bureau that pays the payment requests (第二十二条 "会同市财政局…集中兑现").

Setup that is not part of the notice (the certified enterprises and provider, its products, the staff
accounts) is written with the test helpers; everything from the programme on goes through the API. The
daily jobs (issuance after the notice, the lapse of expired vouchers, the card refunds) run on the first
request of each day, as in production.

Amounts: ¥1 = 100 fen; 万 = ¥10,000 = 1,000,000 fen.
"""

import pytest

from shop.states import Role
from tests.helpers import make_org, make_product, make_staff, member
from tests.scenarios.common import WAN, YUAN, People, assert_balanced, buy, ok, pdf

LIUZHOU, CHENGZHONG = "4502", "450202"  # 柳州市, 城中区
# 第二十一条: what the provider submits to redeem a voucher (the invoice with its number and amount)
EVIDENCE = (
    "voucher",  # 1. 服务券
    "voucher_application",  # 2. 兑现申请表
    "contract",  # 3. 服务合同复印件
    "self_payment",  # 4. 持券企业自付资金证明
    "invoice",  # 4. 发票存根
    "bank_receipt",  # 4. 银行进账凭证
    "completion",  # 5. 完成服务的证明材料
    "project_summary",  # 6. 项目实施情况总结
)


@pytest.fixture
def people(session, today):
    today("2021-03-01")  # a Monday
    provider = make_org(session, "provider", name="柳州工业互联网科技有限公司", region_code=CHENGZHONG)
    names = {
        "a": "柳州螺蛳粉食品有限公司",
        "b": "柳州汽车零部件有限公司",
        "c": "柳州钢铁制品有限公司",
        "d": "柳州机械装备有限公司",
    }
    enterprises = {k: make_org(session, name=n, region_code=CHENGZHONG) for k, n in names.items()}
    users = {
        "seller": member(provider),
        **{k: member(org) for k, org in enterprises.items()},
        "authority": make_staff(session, Role.AUTHORITY, jurisdiction=LIUZHOU),
        "county": make_staff(session, Role.OPERATOR, jurisdiction=CHENGZHONG),
        "city": make_staff(session, Role.OPERATOR, jurisdiction=LIUZHOU),
        "finance": make_staff(session, Role.FINANCE, jurisdiction=LIUZHOU),
    }
    products = {
        price: make_product(session, provider, price_fen=price * YUAN, name=f"工业设备上云 {price} 元套餐")
        for price in (200_000, 160_000, 120_000, 80_000, 1_000_000)
    }
    return People(session, users, products=products)


def programme_budget(client, p):
    return ok(client.get("/api/v1/programmes/liuzhou-2021", headers=p["authority"]))["remaining_fen"]


def contract(client, p, who, price):
    """The enterprise's contract with the provider (第五条 2.), confirmed; then its application."""
    order = buy(client, p[who], p["products"][price])
    ok(client.post(f"/api/v1/orders/{order['id']}/confirm", headers=p["seller"]))
    voucher = ok(client.post(f"/api/v1/orders/{order['id']}/voucher-application", json={}, headers=p[who]), 201)
    return order, voucher


def reviewed(client, p, voucher, score):
    """第十三条: the county's first review, then the city's, which scores the application."""
    url = f"/api/v1/contract-vouchers/{voucher['id']}/review"
    assert ok(client.post(url, json={"decision": "approve"}, headers=p["county"]))["stage"] == "city"
    scored = ok(client.post(url, json={"decision": "approve", "score": score}, headers=p["city"]))
    assert (scored["status"], scored["score"]) == ("reviewed", score)
    return scored


def report_budget(client, p):
    """The programme report's budget figures (oversight's, from the ledger's balances and entries)."""
    report = ok(client.get("/api/v1/reports/programmes/2021?programme=liuzhou-2021", headers=p["authority"]))
    assert report["programme"] == "liuzhou-2021"
    return report["budget"]


def voucher_of(client, p, who, voucher):
    return ok(client.get(f"/api/v1/contract-vouchers/{voucher['id']}", headers=p[who]))


def claim_with_evidence(client, p, order):
    """第二十条/第二十一条: the provider asks to redeem the voucher with the eight kinds of evidence."""
    claim = ok(client.post("/api/v1/claims", json={"order_ids": [order["id"]]}, headers=p["seller"]), 201)
    for kind in EVIDENCE[:-1]:
        form = {"kind": kind, "file": (pdf(), f"{kind}.pdf")}
        if kind == "invoice":
            form.update(invoice_number=f"45020{order['id']:06d}", invoice_amount_fen=str(order["total_fen"]))
        ok(client.post(f"/api/v1/claims/{claim['id']}/documents", data=form, headers=p["seller"]), 201)
    # without the project summary (第二十一条 6.) the claim is refused
    missing = client.post(f"/api/v1/claims/{claim['id']}/submit", headers=p["seller"])
    assert (missing.status_code, missing.json["code"]) == (422, "missing_documents"), missing.json
    assert missing.json["missing"] == ["project_summary"]
    form = {"kind": "project_summary", "file": (pdf(), "summary.pdf")}
    ok(client.post(f"/api/v1/claims/{claim['id']}/documents", data=form, headers=p["seller"]), 201)
    return ok(client.post(f"/api/v1/claims/{claim['id']}/submit", headers=p["seller"]))


def approved(client, p, claim):
    """第二十二条: the city's 工信局 checks the materials (operator), then decides on the experts'
    acceptance with the finance bureau (authority)."""
    for who in ("city", "authority"):
        ok(client.post(f"/api/v1/claims/{claim['id']}/review", json={"decision": "approve"}, headers=p[who]))


def test_liuzhou_2021_from_the_contracts_to_the_payments(app, client, people, gateway, today):
    p = people
    programme = ok(
        client.post(
            "/api/v1/programmes",
            json={
                "preset": "liuzhou",
                "code": "liuzhou-2021",
                "jurisdiction": LIUZHOU,
                "starts_on": "2021-01-01",
                "ends_on": "2021-12-31",
                "budget_fen": 20 * WAN,  # ¥200,000 (第十四条 "根据财政资金预算额度发放")
                # 第二十二条 "集中兑现": the city pays in two batches, at the half year and at the year end
                "settlement_dates": ["2021-06-30", "2021-12-31"],
            },
            headers=p["authority"],
        ),
        201,
    )

    # -- the first round: three contracts, 50% in 2021 (第十六条) ----------------------------------------
    order_a, voucher_a = contract(client, p, "a", 200_000)
    order_b, voucher_b = contract(client, p, "b", 160_000)
    order_c, voucher_c = contract(client, p, "c", 120_000)
    # ¥200,000 × 50% = ¥100,000; ¥160,000 × 50% = ¥80,000; ¥120,000 × 50% = ¥60,000
    assert [(v["ratio"], v["amount_fen"]) for v in (voucher_a, voucher_b, voucher_c)] == [
        (50, 100_000 * YUAN),
        (50, 80_000 * YUAN),
        (50, 60_000 * YUAN),
    ]
    # 择优: nothing is reserved on arrival, the round decides
    assert programme_budget(client, p) == 20 * WAN
    # the city does not do the county's first review (第十三条 "初审并推荐上报")
    early = client.post(
        f"/api/v1/contract-vouchers/{voucher_a['id']}/review", json={"decision": "approve"}, headers=p["city"]
    )
    assert early.status_code == 403
    for voucher, score in ((voucher_a, 70), (voucher_b, 90), (voucher_c, 80)):
        reviewed(client, p, voucher, score)
    # the round is the authority's
    close = f"/api/v1/programmes/{programme['id']}/rounds/close"
    assert client.post(close, headers=p["city"]).status_code == 403
    closed = ok(client.post(close, headers=p["authority"]))
    # ranked by score: B 90 (¥80,000: ¥120,000 left), C 80 (¥60,000: ¥60,000 left), A 70 (¥100,000 does not
    # fit in ¥60,000: refused, 第十四条 "额满即止" — and nothing after it is granted either)
    assert [v["id"] for v in closed["granted"]] == [voucher_b["id"], voucher_c["id"]]
    assert [v["id"] for v in closed["refused"]] == [voucher_a["id"]]
    refused = voucher_of(client, p, "a", voucher_a)
    assert refused["status"] == "refused" and "额满即止" in refused["reason"]
    # 第十三条: the result is in notice for 5 working days, Monday 1 March → Monday 8 March
    in_notice = voucher_of(client, p, "b", voucher_b)
    assert (in_notice["status"], in_notice["notice_ends_on"], in_notice["number"]) == ("in_notice", "2021-03-08", None)
    assert programme_budget(client, p) == 6 * WAN  # ¥200,000 − ¥80,000 − ¥60,000
    assert_balanced(app)

    # -- 第十四条 "公示无异议的…集中发放": issued the day after the notice, by the daily job -----------------
    today("2021-03-09")
    issued_b = voucher_of(client, p, "b", voucher_b)
    issued_c = voucher_of(client, p, "c", voucher_c)
    # 第十八条: each voucher's number is unique; 第三条/第十四条: valid one year from issuance
    assert (issued_b["status"], issued_b["issued_on"], issued_b["valid_until"]) == (
        "issued",
        "2021-03-09",
        "2022-03-08",
    )
    assert issued_b["number"] != issued_c["number"]
    assert {issued_b["number"], issued_c["number"]} == {"liuzhou-2021-2021-000001", "liuzhou-2021-2021-000002"}
    # 第十五条 "按服务券面值等额抵扣合同款": the enterprise no longer pays the voucher (back on its card)
    seen = ok(client.get(f"/api/v1/orders/{order_b['id']}", headers=p["b"]))
    assert (seen["voucher_fen"], seen["self_pay_fen"]) == (80_000 * YUAN, 80_000 * YUAN)
    assert sorted(amount for _intent, amount in gateway.refunds) == [60_000 * YUAN, 80_000 * YUAN]

    # -- the second round: the ¥500,000 yearly total counts what was granted (第十四条) ----------------
    today("2021-03-10")  # a Wednesday
    order_d, voucher_d = contract(client, p, "d", 80_000)  # ¥80,000 × 50% = ¥40,000
    order_b2, voucher_b2 = contract(client, p, "b", 1_000_000)
    # ¥1,000,000 × 50% = ¥500,000, but B was granted ¥80,000 this year ("无论使用与否都计入"):
    # ¥500,000 − ¥80,000 = ¥420,000
    assert voucher_b2["amount_fen"] == 420_000 * YUAN
    reviewed(client, p, voucher_d, 85)
    reviewed(client, p, voucher_b2, 60)
    closed = ok(client.post(close, headers=p["authority"]))
    # D 85 (¥40,000 of the ¥60,000 left: ¥20,000 left), B 60 (¥420,000 does not fit: 额满即止)
    assert [v["id"] for v in closed["granted"]] == [voucher_d["id"]]
    assert [v["id"] for v in closed["refused"]] == [voucher_b2["id"]]
    assert programme_budget(client, p) == 2 * WAN
    today("2021-03-18")  # 5 working days of notice: Wednesday 10 → Wednesday 17 March; issued on the 18th
    issued_d = voucher_of(client, p, "d", voucher_d)
    assert (issued_d["status"], issued_d["valid_until"]) == ("issued", "2022-03-17")
    assert_balanced(app)

    # -- B's voucher redeemed in time, with the eight kinds of evidence (第二十条–第二十二条) ---------------
    today("2021-06-01")
    claim_b = claim_with_evidence(client, p, order_b)
    assert (claim_b["settlement_date"], claim_b["total_fen"]) == ("2021-06-30", 80_000 * YUAN)
    approved(client, p, claim_b)
    today("2021-06-30")
    request = ok(
        client.post(
            "/api/v1/payment-requests",
            json={"programme_id": programme["id"], "settlement_date": "2021-06-30"},
            headers=p["authority"],
        ),
        201,
    )
    assert (request["total_fen"], request["claim_count"]) == (80_000 * YUAN, 1)
    # the finance bureau returns it: the bank receipt does not match the invoice
    url = f"/api/v1/payment-requests/{request['id']}"
    assert client.post(f"{url}/return", json={}, headers=p["finance"]).status_code == 422  # why?
    reason = "银行进账凭证与发票金额不一致，请核实后重新报送"
    returned = ok(client.post(f"{url}/return", json={"reason": reason}, headers=p["finance"]))
    assert (returned["status"], returned["returned_reason"]) == ("returned_by_finance", reason)
    # the request still shows what it held; the claim is detached from it, approved, waiting
    assert [(c["id"], c["status"], c["payment_request_id"]) for c in returned["claims"]] == [
        (claim_b["id"], "approved", None)
    ]
    # nothing moved: the claim is approved and waits, the money stays claimed
    assert ok(client.get(f"/api/v1/claims/{claim_b['id']}", headers=p["seller"]))["status"] == "approved"
    assert_balanced(app)
    budget = report_budget(client, p)
    assert (budget["claimed_fen"], budget["disbursed_fen"]) == (80_000 * YUAN, 0)
    # the authority sends it again once checked; the bureau transfers
    today("2021-07-05")
    again = ok(
        client.post(
            "/api/v1/payment-requests",
            json={"programme_id": programme["id"], "settlement_date": "2021-06-30"},
            headers=p["authority"],
        ),
        201,
    )
    assert again["id"] != request["id"] and again["total_fen"] == 80_000 * YUAN
    assert (again["set_off_fen"], again["transfer_fen"]) == (0, 80_000 * YUAN)  # nothing owed yet
    paid = ok(
        client.post(
            f"/api/v1/payment-requests/{again['id']}/transfer",
            json={"reference": "柳财企〔2021〕45号"},
            headers=p["finance"],
        )
    )
    assert (paid["status"], paid["paid_on"]) == ("paid", "2021-07-05")
    claim_b = ok(client.get(f"/api/v1/claims/{claim_b['id']}", headers=p["seller"]))
    assert (claim_b["status"], claim_b["disbursed_fen"], claim_b["set_off_fen"]) == ("disbursed", 80_000 * YUAN, 0)
    assert voucher_of(client, p, "b", voucher_b)["status"] == "redeemed"
    assert_balanced(app)

    # -- 第二十三条: a spot check (第二十二条 "现场抽查") finds part of B's service records faked ---------------
    today("2021-09-01")
    recovery = ok(
        client.post(
            f"/api/v1/claims/{claim_b['id']}/recoveries",
            # ¥20,000 of the ¥80,000 paid. No ban here: a banned provider's payments stop (停拨), and the
            # set-off below needs the provider's next payment
            json={"amount_fen": 20_000 * YUAN, "reason": "现场抽查：部分服务签到及培训记录造假"},
            headers=p["authority"],
        ),
        201,
    )
    assert (recovery["status"], recovery["owed_fen"], recovery["organisation_id"]) == (
        "open",
        20_000 * YUAN,
        claim_b["provider_id"],
    )
    assert_balanced(app)
    # the report: ¥20,000 of B's ¥80,000 is being recovered (paid out, owed back), nothing recovered yet
    budget = report_budget(client, p)
    assert (budget["disbursed_fen"], budget["recovering_fen"], budget["recovered_fen"]) == (
        60_000 * YUAN,
        20_000 * YUAN,
        0,
    )

    # -- C's voucher: the provider's later payment, which sets off what it owes -----------------------
    today("2021-11-15")
    claim_c = claim_with_evidence(client, p, order_c)
    assert (claim_c["settlement_date"], claim_c["total_fen"]) == ("2021-12-31", 60_000 * YUAN)
    approved(client, p, claim_c)
    today("2021-12-31")
    request_c = ok(
        client.post(
            "/api/v1/payment-requests",
            json={"programme_id": programme["id"], "settlement_date": "2021-12-31"},
            headers=p["authority"],
        ),
        201,
    )
    # the bureau reads what to transfer: of the ¥60,000, the ¥20,000 B's provider owes is kept back
    assert (request_c["total_fen"], request_c["set_off_fen"], request_c["transfer_fen"]) == (
        60_000 * YUAN,
        20_000 * YUAN,
        40_000 * YUAN,
    )
    assert request_c == ok(client.get(f"/api/v1/payment-requests/{request_c['id']}", headers=p["finance"]))
    transferred = ok(
        client.post(
            f"/api/v1/payment-requests/{request_c['id']}/transfer",
            json={"reference": "柳财企〔2021〕98号"},
            headers=p["finance"],
        )
    )
    assert (transferred["status"], transferred["set_off_fen"], transferred["transfer_fen"]) == (
        "paid",
        20_000 * YUAN,
        40_000 * YUAN,
    )
    claim_c = ok(client.get(f"/api/v1/claims/{claim_c['id']}", headers=p["seller"]))
    # of the ¥60,000 paid, ¥20,000 settles the recovery (back to the budget); ¥40,000 is transferred
    assert (claim_c["disbursed_fen"], claim_c["set_off_fen"]) == (60_000 * YUAN, 20_000 * YUAN)
    settled = ok(client.get(f"/api/v1/recoveries/{recovery['id']}", headers=p["authority"]))
    assert (settled["status"], settled["owed_fen"], settled["set_off_fen"]) == ("settled", 0, 20_000 * YUAN)
    # the budget: ¥20,000 left + ¥20,000 recovered = ¥40,000
    assert programme_budget(client, p) == 4 * WAN
    assert_balanced(app)

    # -- D's voucher, never redeemed: 第十九条 "逾期不可兑现，自动作废" --------------------------------------
    today("2022-03-17")  # its last day: still claimable
    claimable = ok(client.get("/api/v1/claimable-orders", headers=p["seller"]))
    assert [o["id"] for o in claimable["items"]] == [order_d["id"]]
    today("2022-03-19")  # a year and a day after its issuance on 18 March 2021
    # the day's first request ran the daily job (``orders.contract_vouchers``): the voucher lapsed
    # (第十五条 "过期作废"), so the order holds no voucher the provider could redeem, and the money is
    # back in the budget. (Had a claim of it been submitted in time, its review would refuse it:
    # ``orders.voucher_issue.ensure_redeemable``.)
    late = client.post("/api/v1/claims", json={"order_ids": [order_d["id"]]}, headers=p["seller"])
    assert (late.status_code, late.json["code"]) == (409, "invalid_state"), late.json
    assert "无可兑现金额" in late.json["detail"]
    lapsed = voucher_of(client, p, "d", voucher_d)
    assert (lapsed["status"], lapsed["reason"]) == ("lapsed", "服务券在订单兑付前已过有效期。")
    seen = ok(client.get(f"/api/v1/orders/{order_d['id']}", headers=p["d"]))
    assert (seen["voucher_fen"], seen["self_pay_fen"]) == (0, 80_000 * YUAN)
    assert programme_budget(client, p) == 8 * WAN  # ¥40,000 + D's ¥40,000
    assert_balanced(app)

    # -- the report re-derives it from the ledger -----------------------------------------------------
    budget = report_budget(client, p)
    # disbursed: B's ¥80,000 − ¥20,000 under recovery, + C's ¥60,000 = ¥120,000
    assert budget["disbursed_fen"] == 120_000 * YUAN
    assert (budget["recovering_fen"], budget["recovered_fen"]) == (0, 20_000 * YUAN)
    # what was paid and kept (¥120,000) and what is left (¥80,000) make the budget of ¥200,000
    assert budget["remaining_fen"] == 8 * WAN
    assert budget["remaining_fen"] + budget["reserved_fen"] + budget["granted_fen"] == budget["budget_fen"] == 20 * WAN
