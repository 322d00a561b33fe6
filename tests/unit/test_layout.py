"""The shape of the code, kept by a test: every area has the same files, and no module is over 400 lines
(outside migrations and tests). docs/development.md says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from shop import AREAS

ROOT = Path(__file__).resolve().parents[2]
AREA_FILES = (
    "__init__.py",
    "rules.py",
    "states.py",
    "models.py",
    "commands.py",
    "services.py",
    "views.py",
    "demo.py",
    "templates",
    "translations",
)
MAX_LINES = 400


@pytest.mark.parametrize("area", [a for a in AREAS if a != "shop"])
def test_every_area_has_the_same_files(area: str) -> None:
    assert [name for name in AREA_FILES if not (ROOT / area / name).exists()] == []


@pytest.mark.parametrize("package", AREAS)
def test_no_module_is_over_400_lines(package: str) -> None:
    long = {
        path.relative_to(ROOT).as_posix(): n
        for path in sorted((ROOT / package).rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
