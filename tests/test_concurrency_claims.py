"""An order is in at most one live claim, also when many requests claim it at once; a refund request
racing a claim of its order, or the submission of its draft, ends with the order either refunded or
claimed, never both; a claim submitted twice at once moves its vouchers once. Several gunicorn
workers, SQLite and PostgreSQL."""

import pytest

from claims import documents
from claims import queries as claim_queries
from claims import services as claims
from claims.commands import ClaimInput, DocumentInput
from tests.concurrency import all_at_once, gunicorn, request
from tests.helpers import PDF, fresh, grant_wallet, make_order, make_org, make_programme, member, token_for, upload
from wallet import ledger
from wallet.states import AccountKind

pytestmark = pytest.mark.concurrency


@pytest.fixture
def world(session, today):
    today("2026-03-02")
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    orders = [make_order(session, enterprise, provider, amount_fen=10_000_00) for _ in range(4)]
    return {
        "enterprise": enterprise,
        "provider": provider,
        "orders": orders,
        "seller": token_for(session, member(provider)),
        "buyer": token_for(session, member(enterprise)),
    }


def _server(database_url):
    return gunicorn(database_url, workers=4, env={"SHOP_TODAY": "2026-03-02"})


def test_parallel_claims_of_the_same_orders_put_each_order_in_one_claim(world, session, database_url):
    ids = [o.id for o in world["orders"]]
    # every request wants two orders that overlap with its neighbours' (1+2, 2+3, 3+4, 4+1, ...)
    bodies = [{"order_ids": [ids[i % 4], ids[(i + 1) % 4]]} for i in range(8)]
    with _server(database_url) as base:
        answers = all_at_once(
            [lambda b=b: request(base, "POST", "/api/v1/claims", json_body=b, headers=world["seller"]) for b in bodies]
        )
    assert all(a.status in (201, 409) for a in answers), [a.body for a in answers]
    won = [a.body for a in answers if a.status == 201]
    claimed = [o["order_id"] for c in won for o in c["orders"]]
    assert len(claimed) == len(set(claimed))  # no order in two claims
    assert 1 <= len(won) <= 2
    from sqlalchemy import func, select

    from claims.models import ClaimItem

    live = fresh(session).scalar(select(func.count()).select_from(ClaimItem).where(ClaimItem.live.is_(True)))
    assert live == len(claimed)


def test_a_claim_and_a_refund_request_racing_for_one_order_end_with_the_refund_and_no_live_claim(
    world, session, database_url
):
    """A draft does not close the refund window (第二十条): whichever comes first, the refund request
    wins once and the order ends in no live claim."""
    order = world["orders"][0]
    with _server(database_url) as base:
        calls = []
        for _ in range(4):
            calls.append(
                lambda: request(
                    base, "POST", "/api/v1/claims", json_body={"order_ids": [order.id]}, headers=world["seller"]
                )
            )
            calls.append(
                lambda: request(
                    base,
                    "POST",
                    f"/api/v1/orders/{order.id}/refund-request",
                    json_body={"reason": "服务未开通"},
                    headers=world["buyer"],
                )
            )
        answers = all_at_once(calls)
    refunds = [a for a in answers if a.status == 200]
    claimed = [a for a in answers if a.status == 201]
    assert len(refunds) == 1 and len(claimed) <= 1, [(a.status, a.body) for a in answers]
    assert all(a.status == 409 for a in answers if a not in refunds + claimed)
    from sqlalchemy import func, select

    from claims.models import ClaimItem

    live = fresh(session).scalar(
        select(func.count()).select_from(ClaimItem).where(ClaimItem.order_id == order.id, ClaimItem.live.is_(True))
    )
    assert live == 0


def test_a_refund_request_racing_the_submission_of_its_draft_either_leaves_it_or_is_refused(
    world, session, database_url, app
):
    """The window closes at submission: the refund wins and the order is not in the submitted claim, or
    the claim was submitted first and the refund is refused; the ledger follows the claim's orders."""
    seller = member(world["provider"])
    order, kept = world["orders"][:2]
    claim = claims.create_claim(session, seller, ClaimInput.from_input({"order_ids": [order.id, kept.id]}))
    for kind in ("invoice", "contract", "transfer", "usage"):
        data = {
            "kind": kind,
            **({"invoice_number": "52004444", "invoice_amount_fen": 20_000_00} if kind == "invoice" else {}),
        }
        documents.add_claim_document(
            session,
            seller,
            claim.id,
            DocumentInput.from_input(data),
            upload(PDF, f"{kind}.pdf"),
            app.config["UPLOAD_DIR"],
        )
    with _server(database_url) as base:
        calls = []
        for _ in range(3):
            calls.append(lambda: request(base, "POST", f"/api/v1/claims/{claim.id}/submit", headers=world["seller"]))
            calls.append(
                lambda: request(
                    base,
                    "POST",
                    f"/api/v1/orders/{order.id}/refund-request",
                    json_body={"reason": "服务未开通"},
                    headers=world["buyer"],
                )
            )
        answers = all_at_once(calls)
    assert all(a.status in (200, 409) for a in answers), [(a.status, a.body) for a in answers]
    s = fresh(session)
    current = claim_queries.get_claim(s, seller, claim.id)
    refunded = s.get(type(order), order.id).status.value == "refund_requested"
    in_claim = order.id in [i.order_id for i in current.live_items]
    assert current.status.value == "submitted" and refunded != in_claim
    assert ledger.balance(s, AccountKind.CLAIMED, 2026, world["enterprise"].id) == sum(
        i.voucher_fen for i in current.live_items
    )


def test_a_claim_submitted_twice_at_once_moves_its_vouchers_once(world, session, database_url, app):
    seller = member(world["provider"])
    claim = claims.create_claim(session, seller, ClaimInput.from_input({"order_ids": [o.id for o in world["orders"]]}))
    for kind in ("invoice", "contract", "transfer", "usage"):
        data = {
            "kind": kind,
            **({"invoice_number": "52003333", "invoice_amount_fen": 40_000_00} if kind == "invoice" else {}),
        }
        documents.add_claim_document(
            session,
            seller,
            claim.id,
            DocumentInput.from_input(data),
            upload(PDF, f"{kind}.pdf"),
            app.config["UPLOAD_DIR"],
        )
    with _server(database_url) as base:
        answers = all_at_once(
            [
                lambda: request(base, "POST", f"/api/v1/claims/{claim.id}/submit", headers=world["seller"])
                for _ in range(6)
            ]
        )
    assert sorted(a.status for a in answers) == [200] + [409] * 5, [a.body for a in answers]
    s = fresh(session)
    assert ledger.balance(s, AccountKind.CLAIMED, 2026, world["enterprise"].id) == 16_000_00
    assert ledger.balance(s, AccountKind.IN_ORDERS, 2026, world["enterprise"].id) == 0
