"""Pages of the background exports: start one, watch its progress, download the file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for

from shop import exports
from shop.errors import DomainError
from shop.templating import current_locale
from shop.web import actor, db_session, is_htmx, signed_in

bp = Blueprint("exports", __name__)


@bp.post("/exports")
@signed_in
def start_export() -> Any:
    """Form fields: ``kind``, ``format`` and the exporter's own (e.g. ``settlement_date``)."""
    s = db_session()
    form = request.form
    try:
        job = exports.start_export(s, actor(), exports.ExportRequest.from_input(form), current_locale())
    except DomainError as error:
        return render_template("shop/export.html", job=None, error=error), error.status
    exports.start_in_background(current_app._get_current_object(), job)
    return redirect(url_for("exports.export_page", job_id=job.id))


@bp.get("/exports/<int:job_id>")
@signed_in
def export_page(job_id: int) -> Any:
    job = exports.get_job(db_session(), actor(), job_id)
    template = "_export_progress.html" if is_htmx() else "shop/export.html"
    return render_template(template, job=job, error=None, stale=job.is_stale())


@bp.get("/exports/<int:job_id>/download")
@signed_in
def download_export(job_id: int) -> Any:
    job = exports.get_job(db_session(), actor(), job_id)
    path = exports.file_path(current_app.config["EXPORT_DIR"], job)
    if not path.exists():
        raise DomainError("invalid_state", exports.REMOVED_MESSAGE)
    response = send_file(
        path, mimetype=exports.FORMATS[job.file_format], as_attachment=True, download_name=job.download_name, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
