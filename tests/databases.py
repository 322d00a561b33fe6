"""Empty PostgreSQL databases of their own, for test runs and benchmarks on one server."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from shop.db import make_engine


def fresh_pg_database(base_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``base_url``, dropped and created empty."""
    base = make_url(base_url)
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
