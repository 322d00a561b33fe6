"""Claim pages: the provider's claimable orders and draft, the operator's and the authority's reviews,
queries, the payment, and the export per settlement date with its progress."""

import io
import time

import pytest

from claims import queries as claim_queries
from claims import reviews
from claims import services as claims
from claims.commands import ClaimInput
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
    PDF,
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
    e1 = make_org(session, name="贵州湄潭绿茶制造有限公司")
    e2 = make_org(session, name="毕节高原农业科技有限公司")
    grant_wallet(session, e1)
    grant_wallet(session, e2)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    orders = [
        make_order(session, e1, provider, amount_fen=10_000_00),
        make_order(session, e2, provider, amount_fen=2_000_00),
    ]
    return {
        "e1": e1,
        "e2": e2,
        "provider": provider,
        "orders": orders,
        "seller": member(provider),
        "operator": make_staff(session, Role.OPERATOR),
        "authority": make_staff(session, Role.AUTHORITY),
        "finance": make_staff(session, Role.FINANCE),
        "uploads": app.config["UPLOAD_DIR"],
    }


def text(response):
    return response.get_data(as_text=True)


def test_the_provider_picks_orders_filters_them_and_creates_a_draft(client, world):
    sign_in(client, world["seller"])
    page = text(client.get("/provider/claims/new"))
    assert "可申请兑现的订单 2 笔，云使用券合计 ¥4,800.00" in page and "毕节高原农业科技有限公司" in page
    filtered = text(client.get("/provider/claims/new?enterprise=湄潭"))
    assert "可申请兑现的订单 1 笔" in filtered and "毕节高原农业科技有限公司" not in filtered
    bad = client.get("/provider/claims/new?confirmed_from=someday")
    assert bad.status_code == 200 and "请按 YYYY-MM-DD 格式输入日期" in text(bad)
    nothing = client.post("/provider/claims", data={})
    assert nothing.status_code == 422 and "此项为必填项" in text(nothing)
    created = client.post("/provider/claims", data={"order_ids": [str(o.id) for o in world["orders"]]})
    assert created.status_code == 302
    draft = text(client.get(created.headers["Location"]))
    assert "已创建兑现申请草稿" in draft and "¥4,800.00" in draft and "草稿" in draft
    assert "尚缺：" in draft and "发票" in draft
    assert "¥0.00" not in text(client.get("/provider/claims"))


def test_evidence_is_uploaded_on_the_claim_page_with_the_invoice_amount_in_yuan(client, world, session):
    claim = claims.create_claim(
        session, world["seller"], ClaimInput.from_input({"order_ids": [o.id for o in world["orders"]]})
    )
    sign_in(client, world["seller"])
    url = f"/claims/{claim.id}"
    missing = client.post(
        f"{url}/documents",
        data={"kind": "invoice", "file": (io.BytesIO(PDF), "fapiao.pdf")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and 'id="f-invoice_number"' in text(missing) and "此项为必填项" in text(missing)
    ok = client.post(
        f"{url}/documents",
        data={
            "kind": "invoice",
            "invoice_number": "52001111",
            "invoice_amount": "12,000.00",
            "file": (io.BytesIO(PDF), "fapiao.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    page = text(client.get(url))
    assert "fapiao.pdf" in page and "52001111" in page and "¥12,000.00" in page
    refused = client.post(f"{url}/submit")
    assert refused.status_code == 422 and "尚缺：合同、转账记录、使用证明" in text(refused)
    for kind in ("contract", "transfer", "usage"):
        client.post(
            f"{url}/documents",
            data={"kind": kind, "file": (io.BytesIO(PDF), f"{kind}.pdf")},
            content_type="multipart/form-data",
        )
    submitted = client.post(f"{url}/submit", follow_redirects=True)
    assert "已提交：运营方将在兑现节点 2026-06-30 审核" in text(submitted)
    doc_id = claim_queries.get_claim(fresh(session), world["seller"], claim.id).documents[0].id
    assert client.get(f"/claim-documents/{doc_id}").data.startswith(b"%PDF")
    sign_in(client, member(make_org(session, "provider")))
    assert client.get(url).status_code == 404
    assert client.get(f"/claim-documents/{doc_id}").status_code == 404


def test_the_operator_sees_claims_by_settlement_date_takes_an_order_out_and_approves(client, world, session):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    sign_in(client, world["operator"])
    listing = text(client.get("/staff/claims"))
    assert "2026 年兑现节点" in listing and "兑现节点 2026年6月30日" in listing and f"#{claim.id}" in listing
    assert "贵州黔云科技有限公司" in listing and "¥4,800.00" in listing
    page = text(client.get(f"/claims/{claim.id}"))
    assert "初审：订单是否真实、材料是否有效？" in page and "移出" in page
    order = world["orders"][1]
    no_reason = client.post(f"/claims/{claim.id}/orders/{order.id}/exclude", data={"reason": ""})
    assert no_reason.status_code == 422 and "此项为必填项" in text(no_reason)
    client.post(f"/claims/{claim.id}/orders/{order.id}/exclude", data={"reason": "缺少使用证明"})
    page = text(client.get(f"/claims/{claim.id}"))
    assert "已移出：缺少使用证明" in page and "¥4,000.00" in page
    no_reason = client.post(f"/claims/{claim.id}/review", data={"decision": "reject", "reason": ""})
    assert no_reason.status_code == 422 and 'id="f-reason"' in text(no_reason)
    client.post(f"/claims/{claim.id}/review", data={"decision": "approve"})
    assert "运营方初审通过" in text(client.get(f"/claims/{claim.id}"))
    assert f"#{claim.id}" not in text(client.get("/staff/claims"))  # nothing left to review


def test_the_operator_deducts_from_an_order_and_the_provider_reads_why(client, world, session):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    sign_in(client, world["operator"])
    order = world["orders"][0]
    path = f"/claims/{claim.id}/orders/{order.id}/deduction"
    no_reason = client.post(path, data={"amount": "500", "reason": "", "confirm": "1"})
    assert no_reason.status_code == 422 and "说明" in text(no_reason)
    done = client.post(path, data={"amount": "500", "reason": "服务中断，按比例扣减", "confirm": "1"})
    assert done.status_code == 302
    page = text(client.get(f"/claims/{claim.id}"))
    # ¥4,800 claimed − ¥500 = ¥4,300 to be paid
    assert "−¥500.00" in page and "服务中断，按比例扣减" in page and "¥4,300.00" in page
    client.post("/logout")
    sign_in(client, member(world["provider"]))
    mine = text(client.get(f"/claims/{claim.id}"))
    assert "−¥500.00" in mine and "服务中断，按比例扣减" in mine and 'name="amount"' not in mine


def test_the_authority_queries_sees_it_overdue_approves_and_the_finance_bureau_records_the_payment(
    client, world, session, today
):
    claim = make_claim(session, world["provider"], world["orders"], world["uploads"])
    reviews.review_claim(session, world["operator"], claim.id, Decision(True))
    sign_in(client, world["authority"])
    assert f"#{claim.id}" in text(client.get("/staff/claims"))
    asked = client.post(
        f"/claims/{claim.id}/queries", data={"question": "请说明第二笔订单的使用情况。"}, follow_redirects=True
    )
    assert "答复期限为 2026-03-05" in text(asked)
    today("2026-03-06")
    listing = text(client.get("/staff/claims"))
    assert "1 项已逾期" in listing and "问询待答复" in listing
    sign_in(client, world["operator"])
    queue = text(client.get("/staff/claim-queries"))
    assert "已逾期" in queue and 'class="overdue"' in queue
    query_id = claim_queries.get_claim(fresh(session), world["operator"], claim.id).queries[0].id
    client.post(f"/claims/{claim.id}/queries/{query_id}/answer", data={"answer": "企业已提供使用日志。"})
    sign_in(client, world["authority"])
    page = text(client.get(f"/claims/{claim.id}"))
    assert "企业已提供使用日志。" in page and "逾期答复" in page
    client.post(f"/claims/{claim.id}/review", data={"decision": "approve"})
    assert f'action="/claims/{claim.id}/disburse"' not in text(client.get(f"/claims/{claim.id}"))
    assert client.post(f"/claims/{claim.id}/disburse", data={"reference": "黔财拨-17"}).status_code == 403
    sign_in(client, world["finance"])  # the finance bureau records the payment
    assert f'action="/claims/{claim.id}/disburse"' in text(client.get(f"/claims/{claim.id}"))
    wrong = client.post(f"/claims/{claim.id}/disburse", data={"reference": "黔财拨-17", "amount": "100.00"})
    assert wrong.status_code == 422 and "审核通过的金额为 ¥4,800.00" in text(wrong)
    future = client.post(f"/claims/{claim.id}/disburse", data={"reference": "黔财拨-17", "paid_on": "2026-03-07"})
    assert future.status_code == 422 and "拨付日期不能晚于今天" in text(future)
    client.post(
        f"/claims/{claim.id}/disburse", data={"reference": "黔财拨-17", "paid_on": "2026-03-06", "amount": "4,800.00"}
    )
    page = text(client.get(f"/claims/{claim.id}"))
    assert "已拨付" in page and "凭证号 黔财拨-17" in page and "登记拨付" in page


def test_an_order_in_a_submitted_claim_shows_no_refund_form_to_the_buyer_and_says_why_when_forced(
    client, world, session
):
    order = world["orders"][0]
    make_claim(session, world["provider"], [order], world["uploads"])
    sign_in(client, member(world["e1"]))
    response = client.post(f"/orders/{order.id}/refund-request", data={"reason": "不再需要"})
    assert response.status_code == 409 and "云服务商已将该订单提交兑现申请，不能再退款" in text(response)


def test_the_export_runs_in_the_background_shows_progress_and_downloads(client, world, session):
    make_claim(session, world["provider"], world["orders"], world["uploads"])
    sign_in(client, world["operator"])
    started = client.post("/exports", data={"kind": "settlement", "format": "xlsx", "settlement_date": "2026-06-30"})
    assert started.status_code == 302
    page_url = started.headers["Location"]
    first = text(client.get(page_url))
    assert "兑现申请 2026-06-30" in first and "<progress" in first
    for _ in range(100):
        fragment = text(client.get(page_url, headers={"HX-Request": "true"}))
        if "下载" in fragment:
            break
        assert 'hx-trigger="every 1s"' in fragment
        time.sleep(0.05)
    # two orders, the claim's subtotal and the date's total
    assert "<html" not in fragment and "已完成：共 4 行" in fragment and "hx-trigger" not in fragment
    download = client.get(page_url + "/download")
    assert download.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[1][7] == "贵州湄潭绿茶制造有限公司" and str(rows[-1][10]) == "4800"
    assert "attachment" in download.headers["Content-Disposition"]
    sign_in(client, world["authority"])  # someone else's export does not exist for them
    assert client.get(page_url).status_code == 404
    sign_in(client, world["seller"])
    refused = client.post("/exports", data={"kind": "settlement", "format": "csv", "settlement_date": "2026-06-30"})
    assert refused.status_code == 403
    sign_in(client, world["operator"])
    bad = client.post("/exports", data={"kind": "settlement", "format": "csv", "settlement_date": "June"})
    assert bad.status_code == 422 and "请按 YYYY-MM-DD 格式输入日期" in text(bad)


def test_the_buyer_of_an_order_in_a_submitted_claim_is_told_it_can_no_longer_be_refunded(client, world, session):
    order = world["orders"][0]
    sign_in(client, member(world["e1"]))
    assert "申请退款" in text(client.get(f"/orders/{order.id}"))
    claims.create_claim(session, world["seller"], ClaimInput.from_input({"order_ids": [order.id]}))
    assert "申请退款" in text(client.get(f"/orders/{order.id}"))  # a draft does not close the window
    other = make_order(session, world["e1"], world["provider"])
    make_claim(session, world["provider"], [other], world["uploads"])
    page = text(client.get(f"/orders/{other.id}"))
    assert "云服务商已将该订单提交兑现申请，不能再退款" in page and 'name="reason"' not in page
