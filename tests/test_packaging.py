"""A deployment installs the wheel: it must carry the compiled translations, or a server that skipped
``make translations`` would quietly serve English."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("shop", "orgs", "catalog", "wallet", "orders", "claims", "oversight")


def test_the_wheel_carries_every_areas_compiled_chinese(tmp_path):
    # built from a copy: a build writes build/ and *.egg-info beside the sources, never into this tree
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "instance", "build", "*.egg-info", "__pycache__", "*.mo", "docs", "tests", "bench"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("yunquan-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for area in AREAS:
            mo = f"{area}/translations/zh_Hans_CN/LC_MESSAGES/messages.mo"
            assert mo in names
            assert archive.read(mo)[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")  # a gettext catalogue
