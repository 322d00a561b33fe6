"""Uploaded files: the type is recognised from the content (never the name or the browser's
claim), the size is bounded while reading, and the file is stored under ``UPLOAD_DIR`` with a
generated name. Who may read a file is decided by the area that owns it."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from shop.errors import ValidationError
from shop.i18n import _l

MB = 1024 * 1024

# extension → MIME type, for the kinds the programme accepts
KNOWN_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TYPE_LABELS = {"pdf": "PDF", "jpg": "JPEG", "png": "PNG", "xlsx": "XLSX"}
UPLOAD_TYPES = sorted(set(KNOWN_TYPES.values()))  # what a stored file is served as (the OpenAPI document)


# No control character belongs in a file's name: PostgreSQL cannot store NUL, and a name with one
# could not be sent back in a Content-Disposition header.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_file_name(name: str) -> str:
    """A file name as people see it: its last part, without control characters."""
    return _UNPRINTABLE.sub("", os.path.basename(name)).strip()[:255] or "document"


# Office documents are zip archives: what the reviewer's spreadsheet program unpacks is bounded
# too (a 300 KB "spreadsheet" of 300 MB of zeros was accepted). The sizes are counted while
# unpacking, not read from the archive's directory, which can lie.
OOXML = {"xlsx", "docx", "pptx"}
MAX_UNPACKED_BYTES = 100 * MB
MAX_ENTRIES = 2000


def _check_unpacked(field: str, data: bytes, label: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise ValidationError(
                    {
                        field: [
                            _l(
                                "The %(type)s file holds more than %(n)d entries; it is not a document we accept.",
                                type=label,
                                n=MAX_ENTRIES,
                            )
                        ]
                    }
                )
            unpacked = 0
            for entry in entries:
                with archive.open(entry) as member:
                    while chunk := member.read(MB):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED_BYTES:
                            raise ValidationError(
                                {
                                    field: [
                                        _l(
                                            "The %(type)s file unpacks to more than %(mb)d MB; save it again without the "
                                            "oversized parts or send a PDF.",
                                            type=label,
                                            mb=MAX_UNPACKED_BYTES // MB,
                                        )
                                    ]
                                }
                            )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        NotImplementedError,
        EOFError,
        ValueError,
        OSError,
    ) as error:
        raise ValidationError(
            {field: [_l("The %(type)s file is damaged and cannot be opened.", type=label)]}
        ) from error


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str


def store_upload(
    upload_dir: str | Path,
    field: str,
    stream: BinaryIO | None,
    original_name: str | None,
    *,
    allowed: tuple[str, ...],
    max_bytes: int,
) -> StoredFile:
    """Check and store one uploaded file; a fault raises ValidationError on ``field``."""
    allowed_labels = "、".join(TYPE_LABELS[a] for a in allowed)
    if stream is None or not original_name:
        raise ValidationError({field: [_l("Choose a file to upload.")]})
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError({field: [_l("The file is larger than %(mb)d MB.", mb=max_bytes // MB)]})
    if not data:
        raise ValidationError({field: [_l("The file is empty.")]})
    kind = filetype.guess(data)
    extension = kind.extension if kind else None
    if extension not in allowed:
        raise ValidationError(
            {field: [_l("The file is not a %(types)s file (recognised by its content).", types=allowed_labels)]}
        )
    if extension in OOXML:
        _check_unpacked(field, data, TYPE_LABELS[extension])
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    target = directory / stored_name
    with open(target, "xb") as out:
        out.write(data)
    os.chmod(target, 0o640)
    return StoredFile(
        stored_name=stored_name,
        original_name=clean_file_name(original_name),
        content_type=KNOWN_TYPES[extension],
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def stored_path(upload_dir: str | Path, stored_name: str) -> Path:
    # stored names are generated (hex + known extension); refuse anything else outright
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return Path(upload_dir) / stored_name
