"""Exports people download (CSV and XLSX), written in the background with their progress shown.

An area registers an ``Exporter`` (who may run it, how many rows it will write, the header and the
rows); ``start_export`` records an ``ExportJob`` and a thread writes the file under ``EXPORT_DIR``,
counting rows as it goes, so that a page can show how far it is (htmx polls it; without JavaScript
the page refreshes itself). The rows come from the database in batches and go to the file as they
come: a large export never sits in memory. Machines use ``stream_csv``/``xlsx_file`` directly.

Amounts stay integer fen until the cell: ``Money(fen)`` is written as yuan, exactly (a CSV text
``1234.56``; in XLSX a number formatted ``#,##0.00``, converted from the integer without rounding).
Text is always text: an XLSX string cell, and in CSV a leading ``'`` before ``= + - @``, tab or CR,
so that a name typed as a formula never runs in the spreadsheet of the staff who open it.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Self

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop import clock
from shop.clock import now
from shop.db import Base, BigId, enum_type, read_only_transactions, use_case, write_transactions
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.states import Role

log = logging.getLogger(__name__)

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PROGRESS_EVERY = 200  # rows between two progress updates
STALE_AFTER = dt.timedelta(minutes=10)  # a running job that has not moved since: its process died
KEEP_FOR = dt.timedelta(days=7)
REMOVED_MESSAGE = _l("This export was removed after a week; make it again.")


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Money:
    """An amount in fen, for a cell that shows yuan."""

    fen: int

    @property
    def yuan_text(self) -> str:
        sign = "-" if self.fen < 0 else ""
        return f"{sign}{abs(self.fen) // 100}.{abs(self.fen) % 100:02d}"

    @property
    def yuan_number(self) -> decimal.Decimal:
        return decimal.Decimal(self.fen).scaleb(-2)  # exact: an integer shifted two places


@dataclass(frozen=True)
class Emphasis:
    """A label in a row's first cell that makes it a total row (bold in XLSX)."""

    text: str

    def __str__(self) -> str:
        return self.text


Row = list[Any]


@dataclass(frozen=True)
class Exporter:
    kind: str
    roles: frozenset[Role]
    title: Callable[[Mapping[str, Any]], str]  # also the file's name
    read_params: Callable[[Mapping[str, Any]], dict[str, Any]]  # parse and check (ValidationError)
    count: Callable[[Session, Mapping[str, Any]], int]  # rows it will write, for the progress bar
    header: Callable[[Mapping[str, Any]], Row]
    rows: Callable[[Session, Mapping[str, Any]], Iterator[Row]]
    # whether this reader may export with these parameters (an object of its jurisdiction); None: its role may
    allowed: Callable[[Session, Any, Mapping[str, Any]], bool] | None = None


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> None:
    EXPORTERS[exporter.kind] = exporter


class ExportJob(Base):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[Any] = mapped_column(JSON)
    file_format: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    status: Mapped[ExportStatus] = mapped_column(enum_type(ExportStatus), default=ExportStatus.QUEUED)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    finished_at: Mapped[dt.datetime | None]

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, self.done_rows * 100 // self.total_rows) if self.total_rows else 0

    @property
    def in_progress(self) -> bool:
        """Queued or being written (its page polls it)."""
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def is_done(self) -> bool:
        """Written: the file can be downloaded, unless it was removed after a week."""
        return self.status == ExportStatus.DONE

    def is_stale(self, at: dt.datetime | None = None) -> bool:
        return self.in_progress and (at or clock.now()) - self.updated_at > STALE_AFTER

    @property
    def download_name(self) -> str:
        return f"{self.title}.{self.file_format}"


# -- writing ------------------------------------------------------------------------------------------

# A text cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV
# injection"): ``=HYPERLINK(…)`` in an organisation's name would send its neighbours' cells away.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: str) -> str:
    """Text that a spreadsheet shows as typed: a leading ``'`` keeps a would-be formula text."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_cell(value: Any) -> Any:
    """A CSV cell (an ``Emphasis`` is written as its text, like any other object). Amounts and
    numbers stay numbers; any text is neutralised (``as_text``)."""
    if isinstance(value, Money):
        return value.yuan_text
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, (int, float, decimal.Decimal)):
        return value
    return as_text(str(value))


def csv_lines(header: Row, rows: Iterable[Row]) -> Iterator[str]:
    """CSV text line by line, with a byte-order mark so that Excel reads the Chinese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([as_text(str(v)) for v in header])
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_cell(v) for v in row])
        yield buffer.getvalue()


def write_xlsx(target: Path | BinaryIO, header: Row, rows: Iterable[Row], title: str) -> None:
    """A write-only workbook: each row goes to the file as it comes (openpyxl's streaming mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "export")
    bold = Font(bold=True)
    head = []
    for value in header:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in rows:
        out = []
        emphasised = bool(row) and isinstance(row[0], Emphasis)
        for value in row:
            if isinstance(value, Emphasis):
                value = value.text
            if isinstance(value, Money):
                cell = WriteOnlyCell(sheet, value=value.yuan_number)
                cell.number_format = "#,##0.00"
            elif isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # openpyxl would make a string starting with "=" a formula
            else:
                cell = WriteOnlyCell(sheet, value=value)
            if emphasised:
                cell.font = bold
            out.append(cell)
        sheet.append(out)
    workbook.save(target)


def stream_csv(session_factory: Callable[[], Session], exporter: Exporter, params: Mapping[str, Any]) -> Iterator[str]:
    """For the API: the CSV as it is read, never whole in memory. The rows are read after the view
    has returned, while the response is sent: in a session of their own that only reads (on SQLite
    a stream must not hold the write lock for as long as a download takes), closed at the end."""
    with read_only_transactions(), session_factory() as session:
        yield from csv_lines(exporter.header(params), exporter.rows(session, params))


def xlsx_file(session: Session, exporter: Exporter, params: Mapping[str, Any], directory: str | Path) -> Path:
    """For the API: the XLSX written to a temporary file (the caller sends and removes it)."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / f"tmp-{secrets.token_hex(12)}.xlsx"
    write_xlsx(path, exporter.header(params), exporter.rows(session, params), exporter.title(params))
    return path


# -- jobs ------------------------------------------------------------------------------------------------


def exporter_for(actor: Any, kind: str) -> Exporter:
    exporter = EXPORTERS.get(kind)
    if exporter is None:
        raise NotFound()
    if actor.role not in exporter.roles:
        raise Forbidden()
    return exporter


@dataclass(frozen=True)
class ExportRequest:
    """An export asked for: its kind, its format and the exporter's own parameters, read by the
    exporter (``Exporter.read_params``). An unknown kind does not exist (``not_found``)."""

    kind: str
    file_format: str
    params: dict[str, Any]

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> Self:
        kind, file_format = data.get("kind", ""), data.get("format", "xlsx")
        exporter = EXPORTERS.get(kind)
        if exporter is None:
            raise NotFound()
        if file_format not in FORMATS:
            raise DomainError(
                "validation_error", _l("Choose one of: %(choices)s.", choices=", ".join(FORMATS)), field="format"
            )
        return cls(kind, file_format, exporter.read_params(data))


@use_case
def start_export(session: Session, actor: Any, request: ExportRequest, locale: str) -> ExportJob:
    """Record the job (committed); the caller starts ``run_export`` in the background."""
    exporter = exporter_for(actor, request.kind)
    params, file_format = request.params, request.file_format
    if exporter.allowed is not None and not exporter.allowed(session, actor, params):
        raise NotFound()
    job = ExportJob(
        kind=request.kind,
        params=params,
        file_format=file_format,
        title=exporter.title(params)[:200],
        requested_by_id=actor.id,
        locale=locale,
        total_rows=exporter.count(session, params),
    )
    session.add(job)
    session.commit()
    return job


def run_export(session_factory: Callable[[], Session], directory: str | Path, job_id: int) -> None:
    """Write the job's file, counting rows as it goes (its own sessions: one reads the rows, one
    records the progress). A failure is recorded on the job, never raised."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with session_factory() as progress:
        job = progress.get(ExportJob, job_id)
        if job is None or job.status != ExportStatus.QUEUED:
            return
        exporter = EXPORTERS[job.kind]
        job.status, job.updated_at = ExportStatus.RUNNING, clock.now()
        progress.commit()
        stored_name = f"{secrets.token_hex(16)}.{job.file_format}"
        path = directory / stored_name

        def counted(rows: Iterable[Row]) -> Iterator[Row]:
            for n, row in enumerate(rows, 1):
                if n % PROGRESS_EVERY == 0:
                    with write_transactions():
                        job.done_rows, job.updated_at = n, clock.now()
                        progress.commit()
                yield row

        try:
            # the rows are only read: on SQLite the reader must not hold the write lock all along
            with read_only_transactions(), session_factory() as reader:
                rows = counted(exporter.rows(reader, job.params))
                if job.file_format == "csv":
                    with open(path, "w", encoding="utf-8", newline="") as out:
                        for line in csv_lines(exporter.header(job.params), rows):
                            out.write(line)
                else:
                    write_xlsx(path, exporter.header(job.params), rows, job.title)
        except Exception as exc:  # recorded for the person waiting on it
            log.exception("export %s failed", job_id)
            progress.rollback()
            path.unlink(missing_ok=True)
            job.status, job.error, job.updated_at = ExportStatus.FAILED, str(exc)[:500], clock.now()
            progress.commit()
            return
        job.status, job.stored_name = ExportStatus.DONE, stored_name
        job.done_rows = max(job.done_rows, job.total_rows)
        job.updated_at = job.finished_at = clock.now()
        progress.commit()


def start_in_background(app: Any, job: ExportJob) -> threading.Thread:
    """Run the job in a thread of this process, inside an app context in the job's language."""
    from flask_babel import force_locale

    def work() -> None:
        with app.app_context(), force_locale(job.locale):
            run_export(app.extensions["shop.sessions"], app.config["EXPORT_DIR"], job.id)

    thread = threading.Thread(target=work, name=f"export-{job.id}", daemon=True)
    thread.start()
    return thread


def get_job(session: Session, actor: Any, job_id: int) -> ExportJob:
    """Only the person who asked for an export sees it."""
    job = session.get(ExportJob, job_id)
    if job is None or job.requested_by_id != actor.id:
        raise NotFound()
    return job


def file_path(directory: str | Path, job: ExportJob) -> Path:
    if job.status != ExportStatus.DONE:
        raise DomainError("invalid_state", _l("The export is not ready yet."))
    if not job.stored_name:
        raise DomainError("invalid_state", REMOVED_MESSAGE)
    return Path(directory) / job.stored_name


@use_case
def remove_old_exports(session: Session, directory: str | Path, today: dt.date | None = None) -> int:
    """Files of exports older than a week are deleted (the job rows stay, as a record)."""
    cutoff = clock.now() - KEEP_FOR
    removed = 0
    for job in session.scalars(
        select(ExportJob).where(ExportJob.created_at < cutoff, ExportJob.stored_name.is_not(None))
    ):
        (Path(directory) / job.stored_name).unlink(missing_ok=True)
        job.stored_name = None
        removed += 1
    session.commit()
    return removed
