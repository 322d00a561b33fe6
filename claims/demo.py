"""Demo claims for ``make run`` (idempotent): what waits for the operator, the authority and the demo
providers, made through the use cases from the demo orders (``orders.demo``, seeded first)."""

from __future__ import annotations

import io
import sys

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from claims import claimable, documents, reviews
from claims import services as claims
from claims.commands import ClaimableFilter, ClaimInput, DocumentInput
from claims.models import Claim
from orgs.demo import demo_org, demo_user
from shop.errors import DomainError
from shop.inputs import Decision

# (provider, what becomes of its claim of all its claimable orders)
CLAIMS = [("yunshang", "submitted"), ("hangtian", "operator_approved"), ("zhudata", "draft")]
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_claims(session: Session) -> None:
    """A claim per demo provider with confirmed orders, with its four kinds of evidence."""
    if session.scalar(select(func.count()).select_from(Claim)) or not has_app_context():
        return
    upload_dir = current_app.config["UPLOAD_DIR"]
    operator = demo_user(session, "operator@yunquan.example")
    for number, (provider_key, outcome) in enumerate(CLAIMS, 1):
        provider = demo_org(session, provider_key)
        seller = provider.members[0]
        page, _ = claimable.list_claimable_orders(session, seller, ClaimableFilter(), 1, 100)
        if not page.items:
            continue
        claim = claims.create_claim(session, seller, ClaimInput.from_input({"order_ids": [o.id for o in page.items]}))
        total = sum(o.total_fen for o in page.items)
        for kind, name in (
            ("invoice", "增值税发票.pdf"),
            ("contract", "上云服务合同.pdf"),
            ("transfer", "银行转账回单.pdf"),
            ("usage", "企业使用情况证明.pdf"),
        ):
            data = {"kind": kind}
            if kind == "invoice":
                data.update(invoice_number=f"52002026{number:04d}", invoice_amount_fen=total)
            documents.add_claim_document(
                session, seller, claim.id, DocumentInput.from_input(data), (io.BytesIO(DEMO_PDF), name), upload_dir
            )
        if outcome == "draft":
            continue
        try:
            claims.submit_claim(session, seller, claim.id)
        except DomainError as error:  # e.g. no settlement date left this year: it stays a draft
            print(f"demo claim #{claim.id} left as a draft: {error.detail}", file=sys.stderr)
            continue
        if outcome == "operator_approved":
            reviews.review_claim(
                session,
                operator,
                claim.id,
                Decision.from_input({"decision": "approve", "reason": "订单与材料核对无误。"}),
            )
