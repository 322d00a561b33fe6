"""Pages of the evidence of an application's facts, on ``wallet.grant_views.bp``: the enterprise adds a
document from its wallets page (a pending application, or one returned for completion), and whoever
may read the application (its members, the staff of its jurisdiction) opens one. The operator's
review page lists them beside each fact (``wallet.grant_review_views``). Thin: parse, call a
service, render."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for

from shop.errors import DomainError
from shop.i18n import _
from shop.states import Role
from shop.web import actor, db_session, roles_required, send_upload
from wallet import application_documents
from wallet.grant_views import _wallets_page, bp


@bp.post("/wallets/<int:application_id>/documents")
@roles_required(Role.ENTERPRISE)
def add_document(application_id: int) -> Any:
    upload = request.files.get("file")
    try:
        document = application_documents.add_application_document(
            db_session(),
            actor(),
            application_id,
            (request.form.get("fact") or "").strip(),
            (upload.stream, upload.filename) if upload else (None, None),
            current_app.config["UPLOAD_DIR"],
        )
    except DomainError as error:
        if error.code == "not_found":
            raise
        return _wallets_page(f"documents-{application_id}", error.errors or {"_": [error.detail]}, error.status)
    flash(_("%(name)s is added to your application's evidence.", name=document.original_name), "success")
    return redirect(url_for("grants.my_wallets", _anchor=f"application-{application_id}"))


@bp.get("/quota-applications/<int:application_id>/documents/<int:document_id>")
@roles_required(Role.ENTERPRISE, Role.OPERATOR, Role.AUTHORITY)
def document(application_id: int, document_id: int) -> Any:
    found = application_documents.application_document(db_session(), actor(), application_id, document_id)
    return send_upload(found.stored_name, found.content_type, found.original_name)
