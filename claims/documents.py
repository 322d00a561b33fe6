"""The evidence of a draft claim (第二十二条): adding a document — invoices with their number and
amount, contracts, transfer records, usage evidence — and taking one out. What a submission requires
of them is checked by ``claims.services.submit_claim``."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from claims.commands import DocumentInput
from claims.models import Claim, ClaimDocument
from claims.services import own_claim
from claims.states import CLAIM
from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import DomainError, NotFound
from shop.i18n import _l
from shop.uploads import MB, StoredFile, store_upload

DOCUMENT_TYPES = ("pdf", "jpg", "png", "xlsx")
DOCUMENT_MAX_BYTES = 20 * MB


@use_case
def add_claim_document(
    session: Session,
    actor: User,
    claim_id: int,
    command: DocumentInput,
    file: tuple[BinaryIO | None, str | None],
    upload_dir: str | Path,
) -> ClaimDocument:
    """第二十二条: evidence of a draft claim. Invoices carry their number and amount; one invoice
    number is in at most one live claim."""
    claim = own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "add_document")
    kind, number, amount = command.kind, command.invoice_number, command.invoice_amount_fen
    if number and session.scalar(
        select(func.count())
        .select_from(ClaimDocument)
        .where(ClaimDocument.invoice_number == number, ClaimDocument.live.is_(True))
    ):
        raise DomainError(
            "validation_error",
            _l("The invoice %(number)s is already in a claim.", number=number),
            field="invoice_number",
        )
    stored: StoredFile = store_upload(
        upload_dir, "file", file[0], file[1], allowed=DOCUMENT_TYPES, max_bytes=DOCUMENT_MAX_BYTES
    )
    document = ClaimDocument(
        claim_id=claim.id,
        kind=kind,
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        invoice_number=number,
        invoice_amount_fen=amount,
        live=True,
        uploaded_by_id=actor.id,
        uploaded_at=clock.now(),
    )
    session.add(document)
    try:
        session.flush()
        record(
            session,
            actor,
            "claim",
            claim.id,
            "add_document",
            None,
            {
                "document_id": document.id,
                "kind": kind.value,
                "name": stored.original_name,
                "sha256": stored.sha256,
                "invoice_number": number,
                "invoice_amount_fen": amount,
            },
        )
        session.commit()
    except IntegrityError:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
        raise DomainError(
            "validation_error",
            _l("The invoice %(number)s is already in a claim.", number=number),
            field="invoice_number",
        ) from None
    except BaseException:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
        raise
    return document


@use_case
def remove_claim_document(session: Session, actor: User, claim_id: int, document_id: int) -> Claim:
    """Take a document out of a draft (the file is kept, as the trail refers to it)."""
    claim = own_claim(session, actor, claim_id)
    CLAIM.next(claim.status, "remove_document")
    document = session.get(ClaimDocument, document_id)
    if document is None or document.claim_id != claim.id or not document.live:
        raise NotFound()
    document.live, document.removed_at = False, clock.now()
    record(
        session,
        actor,
        "claim",
        claim.id,
        "remove_document",
        {"document_id": document.id, "kind": document.kind.value, "invoice_number": document.invoice_number},
        None,
    )
    session.commit()
    return claim
