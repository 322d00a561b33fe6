"""The "Redemption claims" calls of API.md, as written, with each error code; and the export."""

import csv
import io

import pytest

from shop.states import Role
from tests.helpers import PDF, PNG, grant_wallet, make_order, make_org, make_programme, make_staff, member, token_for


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session):
    make_programme(session)
    enterprise = make_org(session, name="贵州湄潭绿茶制造有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    other = make_org(session, "provider")
    orders = [
        make_order(session, enterprise, provider, amount_fen=10_000_00),
        make_order(session, enterprise, provider, amount_fen=2_000_00),
    ]
    return {
        "enterprise": enterprise,
        "provider": provider,
        "orders": orders,
        "seller": token_for(session, member(provider)),
        "rival": token_for(session, member(other)),
        "buyer": token_for(session, member(enterprise)),
        "operator": token_for(session, make_staff(session, Role.OPERATOR)),
        "authority": token_for(session, make_staff(session, Role.AUTHORITY)),
        "finance": token_for(session, make_staff(session, Role.FINANCE)),
    }


def create(client, world, order_ids=None):
    ids = order_ids if order_ids is not None else [o.id for o in world["orders"]]
    return client.post("/api/v1/claims", json={"order_ids": ids}, headers=world["seller"])


def add(client, world, claim_id, kind, data=PDF, **fields):
    form = {"kind": kind, "file": (io.BytesIO(data), f"{kind}.pdf"), **fields}
    return client.post(
        f"/api/v1/claims/{claim_id}/documents", data=form, headers=world["seller"], content_type="multipart/form-data"
    )


def submitted(client, world, number="52000001"):
    claim = create(client, world).json
    add(client, world, claim["id"], "invoice", invoice_number=number, invoice_amount_fen="1200000")
    for kind in ("contract", "transfer", "usage"):
        add(client, world, claim["id"], kind)
    return client.post(f"/api/v1/claims/{claim['id']}/submit", headers=world["seller"]).json


def test_creating_a_claim_answers_201_with_a_draft_and_its_total(client, world):
    response = create(client, world)
    assert response.status_code == 201
    claim = response.json
    assert (claim["status"], claim["total_fen"], claim["settlement_date"]) == ("draft", 4_800_00, None)
    assert [o["order_id"] for o in claim["orders"]] == [o.id for o in world["orders"]]
    again = create(client, world, [world["orders"][0].id])
    assert again.status_code == 409 and again.json["code"] == "invalid_state"
    assert create(client, world, []).json["code"] == "validation_error"
    assert create(client, world, ["x"]).status_code == 422
    rival = client.post("/api/v1/claims", json={"order_ids": [world["orders"][1].id]}, headers=world["rival"])
    assert rival.status_code == 422 and "order_ids" in rival.json["errors"]
    assert client.post("/api/v1/claims", json={"order_ids": [1]}, headers=world["buyer"]).json["code"] == "forbidden"


def test_documents_are_added_by_kind_and_an_invoice_needs_its_number_and_amount(client, world):
    claim = create(client, world).json
    response = add(client, world, claim["id"], "invoice", invoice_number="52000001", invoice_amount_fen="1200000")
    assert response.status_code == 201
    assert (response.json["kind"], response.json["invoice_number"], response.json["invoice_amount_fen"]) == (
        "invoice",
        "52000001",
        12_000_00,
    )
    missing = add(client, world, claim["id"], "invoice")
    assert missing.status_code == 422 and "invoice_number" in missing.json["errors"]
    yuan = add(client, world, claim["id"], "invoice", invoice_number="52000002", invoice_amount_fen="12000.00")
    assert yuan.status_code == 422 and "invoice_amount_fen" in yuan.json["errors"]
    wrong_type = add(client, world, claim["id"], "usage", data=b"just text, not a document")
    assert wrong_type.status_code == 422 and "file" in wrong_type.json["errors"]
    assert add(client, world, claim["id"], "photo").json["errors"]["kind"]
    assert add(client, world, 999999, "usage").status_code == 404


def test_submit_needs_every_kind_of_document_then_gets_the_next_settlement_date(client, world):
    claim = create(client, world).json
    add(client, world, claim["id"], "contract")
    refused = client.post(f"/api/v1/claims/{claim['id']}/submit", headers=world["seller"])
    assert (refused.status_code, refused.json["code"]) == (422, "missing_documents")
    assert refused.json["missing"] == ["invoice", "transfer", "usage"]
    add(client, world, claim["id"], "invoice", invoice_number="52000009", invoice_amount_fen="1200000")
    add(client, world, claim["id"], "transfer", data=PNG)
    add(client, world, claim["id"], "usage")
    response = client.post(f"/api/v1/claims/{claim['id']}/submit", headers=world["seller"])
    assert response.status_code == 200
    assert (response.json["status"], response.json["settlement_date"]) == ("submitted", "2026-06-30")
    again = client.post(f"/api/v1/claims/{claim['id']}/submit", headers=world["seller"])
    assert again.json["code"] == "invalid_state"
    wallet = client.get("/api/v1/wallet?year=2026", headers=world["buyer"]).json
    assert (wallet["in_orders_fen"], wallet["claimed_fen"]) == (0, 4_800_00)


def test_the_two_reviews_a_query_and_the_disbursement(client, world):
    claim = submitted(client, world)
    url = f"/api/v1/claims/{claim['id']}"
    assert (
        client.post(f"{url}/review", json={"decision": "approve"}, headers=world["authority"]).json["code"]
        == "invalid_state"
    )
    first = client.post(f"{url}/review", json={"decision": "approve"}, headers=world["operator"])
    assert (first.status_code, first.json["status"]) == (200, "operator_approved")
    query = client.post(f"{url}/queries", json={"question": "使用证明是否覆盖全部订单？"}, headers=world["authority"])
    assert query.status_code == 201 and query.json["due_on"] == "2026-03-05"
    assert client.post(f"{url}/queries", json={}, headers=world["authority"]).json["errors"]["question"]
    assert client.post(f"{url}/queries", json={"question": "?"}, headers=world["operator"]).json["code"] == "forbidden"
    blocked = client.post(f"{url}/review", json={"decision": "approve"}, headers=world["authority"])
    assert blocked.json["code"] == "invalid_state"
    listed = client.get("/api/v1/claim-queries", headers=world["operator"]).json
    assert [q["id"] for q in listed["items"]] == [query.json["id"]]
    answer = client.post(
        f"{url}/queries/{query.json['id']}/answer", json={"answer": "已覆盖。"}, headers=world["operator"]
    )
    assert answer.status_code == 200 and answer.json["answer"] == "已覆盖。" and answer.json["overdue"] is False
    assert client.post(f"{url}/queries/999/answer", json={"answer": "x"}, headers=world["operator"]).status_code == 404
    second = client.post(f"{url}/review", json={"decision": "approve"}, headers=world["authority"])
    assert second.json["status"] == "approved"
    assert client.post(f"{url}/disburse", json={}, headers=world["finance"]).json["errors"]["reference"]
    assert (
        client.post(f"{url}/disburse", json={"reference": "x"}, headers=world["operator"]).json["code"] == "forbidden"
    )
    # the authority no longer records payments: the finance bureau does (拨付申请)
    refused = client.post(f"{url}/disburse", json={"reference": "x"}, headers=world["authority"])
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
    assert "资金拨付由财政局登记" in refused.json["detail"]
    paid = client.post(
        f"{url}/disburse", json={"reference": "黔财拨〔2026〕17号", "amount_fen": 4_800_00}, headers=world["finance"]
    )
    assert paid.status_code == 200
    assert (paid.json["status"], paid.json["disbursed_fen"], paid.json["disbursement_reference"]) == (
        "disbursed",
        4_800_00,
        "黔财拨〔2026〕17号",
    )
    wallet = client.get("/api/v1/wallet?year=2026", headers=world["buyer"]).json
    assert wallet["claimed_fen"] == 0


def test_a_rejection_needs_a_reason_and_frees_the_orders(client, world):
    claim = submitted(client, world)
    url = f"/api/v1/claims/{claim['id']}/review"
    assert client.post(url, json={"decision": "reject"}, headers=world["operator"]).json["errors"]["reason"]
    assert client.post(url, json={"decision": "maybe"}, headers=world["operator"]).json["code"] == "validation_error"
    rejected = client.post(url, json={"decision": "reject", "reason": "合同与订单不符"}, headers=world["operator"])
    assert (rejected.json["status"], rejected.json["reason"]) == ("rejected", "合同与订单不符")
    assert create(client, world).status_code == 201


def test_the_operator_takes_an_order_out_of_a_submitted_claim(client, world):
    claim = submitted(client, world)
    order_id = world["orders"][1].id
    url = f"/api/v1/claims/{claim['id']}/orders/{order_id}/exclude"
    assert client.post(url, json={}, headers=world["operator"]).json["errors"]["reason"]
    response = client.post(url, json={"reason": "缺少使用证明"}, headers=world["operator"])
    assert response.status_code == 200 and response.json["total_fen"] == 4_000_00
    out = [o for o in response.json["orders"] if o["order_id"] == order_id][0]
    assert out["excluded"] is True and out["excluded_reason"] == "缺少使用证明"
    claimable = client.get("/api/v1/claimable-orders", headers=world["seller"]).json
    assert [o["id"] for o in claimable["items"]] == [order_id] and claimable["voucher_fen"] == 800_00


def test_claims_are_listed_for_their_provider_and_staff_only(client, world):
    claim = submitted(client, world)
    mine = client.get("/api/v1/claims", headers=world["seller"]).json
    assert [c["id"] for c in mine["items"]] == [claim["id"]] and mine["items"][0]["order_count"] == 2
    assert client.get("/api/v1/claims", headers=world["rival"]).json["total"] == 0
    assert client.get(f"/api/v1/claims/{claim['id']}", headers=world["rival"]).status_code == 404
    assert client.get("/api/v1/claims", headers=world["buyer"]).status_code == 403
    staff = client.get("/api/v1/claims?status=submitted&settlement_date=2026-06-30", headers=world["operator"]).json
    assert staff["total"] == 1
    assert client.get("/api/v1/claims?status=nonsense", headers=world["operator"]).status_code == 422
    document = claim["documents"][0]
    url = f"/api/v1/claims/{claim['id']}/documents/{document['id']}"
    assert client.get(url, headers=world["authority"]).data.startswith(b"%PDF")
    assert client.get(url, headers=world["rival"]).status_code == 404


def test_a_draft_is_withdrawn_and_its_documents_removed(client, world):
    claim = create(client, world).json
    doc = add(client, world, claim["id"], "usage").json
    removed = client.delete(f"/api/v1/claims/{claim['id']}/documents/{doc['id']}", headers=world["seller"])
    assert removed.status_code == 200 and removed.json["documents"] == []
    assert (
        client.delete(f"/api/v1/claims/{claim['id']}/documents/{doc['id']}", headers=world["seller"]).status_code == 404
    )
    withdrawn = client.post(f"/api/v1/claims/{claim['id']}/withdraw", headers=world["seller"])
    assert withdrawn.json["status"] == "withdrawn"
    assert (
        client.post(f"/api/v1/claims/{claim['id']}/withdraw", headers=world["seller"]).json["code"] == "invalid_state"
    )


def test_the_export_of_a_settlement_date_as_csv_and_xlsx(client, world, session):
    claim = submitted(client, world)
    response = client.get("/api/v1/settlement-dates/2026-06-30/export?format=csv", headers=world["authority"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["兑现节点", "服务商", "云服务商统一社会信用代码"]
    orders = [r for r in rows[1:] if r[5].startswith("#")]
    assert [(r[1], r[3], r[7], r[9], r[10]) for r in orders] == [
        ("贵州黔云科技有限公司", f"#{claim['id']}", "贵州湄潭绿茶制造有限公司", "10000.00", "4000.00"),
        ("贵州黔云科技有限公司", f"#{claim['id']}", "贵州湄潭绿茶制造有限公司", "2000.00", "800.00"),
    ]
    assert orders[0][2] == world["provider"].uscc and orders[0][8] == world["enterprise"].uscc
    assert rows[-1][0].startswith("2026-06-30 合计") and rows[-1][9:] == ["12000.00", "4800.00"]
    xlsx = client.get("/api/v1/settlement-dates/2026-06-30/export?format=xlsx", headers=world["operator"])
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][1] == "贵州黔云科技有限公司" and str(values[-1][10]) == "4800"
    assert sheet.cell(row=2, column=11).number_format == "#,##0.00"
    assert client.get("/api/v1/settlement-dates/June/export", headers=world["operator"]).status_code == 422
    assert (
        client.get("/api/v1/settlement-dates/2026-06-30/export?format=pdf", headers=world["operator"]).status_code
        == 422
    )
    assert client.get("/api/v1/settlement-dates/2026-06-30/export", headers=world["seller"]).status_code == 403
    summary = client.get("/api/v1/settlement-dates?year=2026", headers=world["operator"]).json["items"]
    assert summary[0] == {
        "settlement_date": "2026-06-30",
        "claims": 1,
        "total_fen": 4_800_00,
        "disbursed_fen": 0,
        "by_status": {"submitted": 1},
    }


def test_a_csv_being_streamed_does_not_hold_the_sqlite_write_lock(client, world, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never block writers")
    import sqlite3

    submitted(client, world)
    response = client.get(
        "/api/v1/settlement-dates/2026-06-30/export?format=csv", headers=world["authority"], buffered=False
    )
    chunks = iter(response.response)
    assert "兑现节点" in next(chunks).decode() and next(chunks)  # the header, then rows being read
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.5)
    other.execute("BEGIN IMMEDIATE")  # another writer gets the lock at once
    other.rollback()
    other.close()
    assert sum(1 for _ in chunks) >= 2
    response.close()


def test_an_expelled_provider_is_refused_as_sanctioned(client, world, session):
    from orgs.states import OrgStatus

    world["provider"].status = OrgStatus.EXPELLED
    session.commit()
    response = create(client, world)
    assert (response.status_code, response.json["code"]) == (409, "sanctioned")
    assert "贵州黔云科技有限公司" in response.json["detail"]


def test_a_reviewer_deducts_from_an_order_and_the_provider_reads_why(client, world):
    claim = submitted(client, world)
    first = world["orders"][0].id  # ¥4,000 of vouchers
    path = f"/api/v1/claims/{claim['id']}/orders/{first}/deduction"
    assert client.post(path, json={"amount_fen": 100_00}, headers=world["operator"]).status_code == 422  # no reason
    assert client.post(path, json={"amount_fen": 100_00, "reason": "x"}, headers=world["seller"]).status_code == 403
    assert client.post(path, json={"amount_fen": 100_00, "reason": "x"}, headers=world["authority"]).status_code == 403
    answer = client.post(path, json={"amount_fen": 1_000_00, "reason": "质量问题扣减"}, headers=world["operator"])
    assert answer.status_code == 200
    assert (answer.json["deducted_fen"], answer.json["payable_fen"]) == (1_000_00, claim["total_fen"] - 1_000_00)
    seen = client.get(f"/api/v1/claims/{claim['id']}", headers=world["seller"]).json
    item = next(i for i in seen["orders"] if i["order_id"] == first)
    assert (item["deducted_fen"], item["deduction_reason"]) == (1_000_00, "质量问题扣减")
    assert (
        client.post(
            f"/api/v1/claims/{claim['id']}/review", json={"decision": "approve"}, headers=world["operator"]
        ).status_code
        == 200
    )
    assert client.post(path, json={"amount_fen": 0}, headers=world["operator"]).status_code in (
        403,
        409,
    )  # its stage is over
