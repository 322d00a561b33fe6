"""The evidence of a quota application's facts (issue 13: "the reviewer sees the facts with their
evidence"; Baiyun 第十五条: the expert review checks the declared taxes, packages, certificates…):
the enterprise adds a document for one of its scheme's facts, or ``other``, while the application
waits for its decision (pending, or returned for completion); its members and the staff of its
jurisdiction list and read them. Documents are checked as every upload (``shop.uploads``: the type
by its content) and never removed, as the trail refers to them."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import NotFound, ValidationError
from shop.i18n import _l
from shop.states import Role
from shop.uploads import MB, StoredFile, store_upload
from wallet import versions
from wallet.models import ApplicationDocument, Programme, QuotaApplication
from wallet.states import QUOTA_APPLICATION

# as a certificate of the organisation (orgs.services: scans and PDFs, 10 MB)
EVIDENCE_TYPES = ("pdf", "jpg", "png")
EVIDENCE_MAX_BYTES = 10 * MB
OTHER = "other"  # evidence of the application that no one fact names


def evidence_facts(session: Session, application: QuotaApplication) -> tuple[str, ...]:
    """What a document may support: the facts the application's scheme asks (under the version it was
    applied under), then ``other``."""
    programme = session.get(Programme, application.programme_id)
    scheme = versions.rules_of(session, programme, application.policy_version).scheme(application.scheme)
    return (*(scheme.required_facts if scheme else ()), OTHER)


def _readable(session: Session, actor: User, application_id: int) -> QuotaApplication:
    """The application, for its enterprise's members and the staff of its jurisdiction (else not found)."""
    application = session.get(QuotaApplication, application_id)
    if application is None or not (
        actor.belongs_to(application.organisation_id) or actor.oversees(application.organisation.region_code)
    ):
        raise NotFound()
    return application


@use_case
def add_application_document(
    session: Session,
    actor: User,
    application_id: int,
    fact: str,
    file: tuple[BinaryIO | None, str | None],
    upload_dir: str | Path,
) -> ApplicationDocument:
    """The enterprise adds evidence of ``fact`` to its own application before the decision."""
    application = session.get(QuotaApplication, application_id, with_for_update=True)
    if application is None or actor.role != Role.ENTERPRISE or not actor.belongs_to(application.organisation_id):
        raise NotFound()
    QUOTA_APPLICATION.next(application.status, "add_application_document")
    if fact not in evidence_facts(session, application):
        raise ValidationError({"fact": [_l("Choose a fact this application declares, or “other”.")]})
    stored: StoredFile = store_upload(
        upload_dir, "file", file[0], file[1], allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES
    )
    try:
        document = ApplicationDocument(
            application_id=application.id,
            fact=fact,
            original_name=stored.original_name,
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
            uploaded_at=clock.now(),
            uploaded_by_id=actor.id,
        )
        session.add(document)
        session.flush()
        record(
            session,
            actor,
            "quota_application",
            application.id,
            "add_application_document",
            None,
            {"document_id": document.id, "fact": fact, "name": stored.original_name, "sha256": stored.sha256},
        )
        session.commit()
    except BaseException:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
        raise
    return document


def documents_of(session: Session, actor: User, application_id: int) -> list[ApplicationDocument]:
    """The evidence of an application, in the order it was added."""
    application = _readable(session, actor, application_id)
    return list(
        session.scalars(
            select(ApplicationDocument)
            .where(ApplicationDocument.application_id == application.id)
            .order_by(ApplicationDocument.id)
        )
    )


def by_fact(documents: list[ApplicationDocument]) -> dict[str, list[ApplicationDocument]]:
    """The documents grouped by the fact they support (what the review page shows beside each fact)."""
    grouped: dict[str, list[ApplicationDocument]] = {}
    for document in documents:
        grouped.setdefault(document.fact, []).append(document)
    return grouped


def application_document(session: Session, actor: User, application_id: int, document_id: int) -> ApplicationDocument:
    """One document of an application, for whoever may read the application."""
    application = _readable(session, actor, application_id)
    document = session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application.id:
        raise NotFound()
    return document
