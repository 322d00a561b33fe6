"""Concurrency tests run the real application under gunicorn with several worker processes and fire
requests at it all at once (threads as clients are fine: the server side is several processes,
which is what matters for SQLite's locking and PostgreSQL's row locks)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    status: int
    body: Any


@contextmanager
def gunicorn(database_url: str, *, workers: int = 4, env: dict[str, str] | None = None) -> Iterator[str]:
    """The app on a free port under gunicorn with ``workers`` processes; yields its base URL."""
    port = _free_port()
    executable = Path(sys.executable).with_name("gunicorn")
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOP_ENV": "testing",
        "SECRET_KEY": "test",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            str(executable),
            "shop:create_app()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                if process.poll() is not None:
                    raise RuntimeError("gunicorn exited: " + process.stderr.read().decode()[-2000:]) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        # every worker imports the app lazily on its first request: warm them all up
        with ThreadPoolExecutor(workers * 2) as pool:
            list(pool.map(lambda _: urllib.request.urlopen(base + "/healthz", timeout=10).read(), range(workers * 4)))
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def request(
    base: str,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    data = json.dumps(json_body).encode() if json_body is not None else None
    req = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Answer(response.status, json.loads(response.read() or b"null"))
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return Answer(error.code, json.loads(body))
        except ValueError:
            return Answer(error.code, body.decode(errors="replace"))


def all_at_once(calls: Sequence[Callable[[], Answer]]) -> list[Answer]:
    """Run every call at the same moment (a barrier releases them together); answers in call order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Answer]) -> Answer:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
