"""Uploaded files: the type is recognised from the content (never the name or the browser's
claim), the size is bounded while reading, and the file is stored under ``UPLOAD_DIR`` with a
generated name. Who may read a file is decided by the area that owns it."""
from __future__ import annotations

import hashlib
import os
import secrets
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
UPLOAD_TYPES = sorted(set(KNOWN_TYPES.values()))   # what a stored file is served as (the OpenAPI document)


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str


def store_upload(upload_dir: str | Path, field: str, stream: BinaryIO | None, original_name: str | None,
                 *, allowed: tuple[str, ...], max_bytes: int) -> StoredFile:
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
        raise ValidationError({field: [_l("The file is not a %(types)s file (recognised by its content).",
                                          types=allowed_labels)]})
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    target = directory / stored_name
    with open(target, "xb") as out:
        out.write(data)
    os.chmod(target, 0o640)
    return StoredFile(
        stored_name=stored_name,
        original_name=os.path.basename(original_name)[:255],
        content_type=KNOWN_TYPES[extension],
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def stored_path(upload_dir: str | Path, stored_name: str) -> Path:
    # stored names are generated (hex + known extension); refuse anything else outright
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return Path(upload_dir) / stored_name
