"""``flask --app shop seed-demo``: a living site for ``make run``. Idempotent: what exists is kept.

Each area registers its own seeder (``register``) in its ``init_app``; they run in order, each in its
own transaction. Every demo account has the one password ``DEMO_PASSWORD``; ``demo_logins`` are the
accounts ``make run`` prints, one per role, as the seeders registered them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

DEMO_PASSWORD = "yunquan-demo-2026"

Seeder = Callable[[Session], None]
SEEDERS: list[tuple[int, Seeder]] = []
LOGINS: list[tuple[str, str]] = []


def register(seeder: Seeder, *, order: int, logins: Iterable[tuple[str, str]] = ()) -> None:
    """``logins``: (role, e-mail) of the demo accounts the seeder creates, to be printed."""
    if all(s is not seeder for _, s in SEEDERS):
        SEEDERS.append((order, seeder))
        SEEDERS.sort(key=lambda pair: pair[0])
    LOGINS.extend(login for login in logins if login not in LOGINS)


def run_all(session: Session) -> None:
    for _, seeder in SEEDERS:
        seeder(session)
        session.commit()


def demo_logins() -> list[tuple[str, str]]:
    """One login per role, as ``make run`` prints them."""
    return list(LOGINS)
