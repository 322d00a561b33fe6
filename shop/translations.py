"""The translation catalogues of every area (Chinese first: msgids are English, zh_CN is complete).

python -m shop.translations update    # extract new strings into each area's zh_CN messages.po
python -m shop.translations compile   # write the .mo files Flask-Babel reads (make does this)
python -m shop.translations check     # list strings without a Chinese translation (a test runs it)
python -m shop.translations fill AREA FILE.json   # set translations from {"msgid": "译文"}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
from shop import AREAS  # noqa: E402

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.do"}}


# Babel reads "zh_CN" as zh_Hans_CN, and gettext looks for the catalogue under that name
LOCALE = "zh_Hans_CN"


def po_path(area: str) -> Path:
    return ROOT / area / "translations" / LOCALE / "LC_MESSAGES" / "messages.po"


def extract(area: str) -> Catalog:
    catalog = Catalog(locale=LOCALE, project="yunquan", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT / area, METHODS, OPTIONS, KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(area: str) -> Catalog:
    path = po_path(area)
    if not path.exists():
        return Catalog(locale=LOCALE, project="yunquan", charset="utf-8")
    with open(path, "rb") as f:
        return read_po(f, locale=LOCALE)


def update(area: str) -> None:
    """Merge the area's strings into its catalogue; the file is left alone when only the header's
    date would change (no noise in other areas' diffs)."""
    import io

    template = extract(area)
    catalog = read(area)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    path = po_path(area)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, include_previous=False)
    new = buffer.getvalue()
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(new):
        return
    path.write_bytes(new)


def _without_dates(po: bytes) -> bytes:
    return b"\n".join(line for line in po.splitlines() if not line.startswith((b'"POT-Creation-Date', b"#:")))


def compile_area(area: str) -> None:
    path = po_path(area)
    if not path.exists():
        return
    catalog = read(area)
    with open(path.with_suffix(".mo"), "wb") as f:
        write_mo(f, catalog)


def untranslated(area: str) -> list[str]:
    """Strings in the code or templates of ``area`` without a zh_CN translation."""
    catalog = read(area)
    missing = []
    for message in extract(area):
        if not message.id:
            continue
        existing = catalog.get(message.id, message.context)
        if (
            existing is None
            or not existing.string
            or existing.fuzzy
            or (isinstance(existing.string, tuple) and not all(existing.string))
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def fill(area: str, translations: dict[str, str]) -> int:
    """Set the zh_CN translation of the given msgids; returns how many were set."""
    update(area)
    catalog = read(area)
    count = 0
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.id and key in translations:
            message.string = translations[key] if isinstance(message.id, str) else (translations[key],)
            message.flags.discard("fuzzy")
            count += 1
    with open(po_path(area), "wb") as f:
        write_po(f, catalog, width=100, include_previous=False)
    return count


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    areas = [a for a in AREAS if (ROOT / a).is_dir()]
    if command == "update":
        for area in areas:
            update(area)
    elif command == "compile":
        for area in areas:
            compile_area(area)
    elif command == "fill":
        with open(argv[3], encoding="utf-8") as f:
            print(f"{fill(argv[2], json.load(f))} translations set")
    elif command == "check":
        failed = False
        for area in areas:
            for message in untranslated(area):
                print(f"{area}: {message}")
                failed = True
        return 1 if failed else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
