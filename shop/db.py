"""The database: one declarative base with a naming convention, engines, sessions.

The SQLAlchemy session is the unit of work: a service function (a use case) commits, the helpers it
calls never do. On SQLite a transaction that may write starts with ``BEGIN IMMEDIATE`` so that a
balance read and the write that follows it cannot interleave with another process (STACK.md,
"Concurrency"); read-only work (GET requests) starts a plain deferred transaction, which in WAL
mode never blocks a writer. On PostgreSQL balances move with conditional updates or
``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, create_engine, event, text, types
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(types.TypeDecorator):
    """A point in time, stored as UTC and always read back timezone-aware (SQLite drops offsets)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


# Money is integer fen. BigInteger on PostgreSQL; SQLite only makes INTEGER PRIMARY KEY an alias of
# rowid, so ids use Integer there through this variant.
Fen = BigInteger
BigId = BigInteger().with_variant(types.Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def enum_type(enum_cls: type[StrEnum]) -> Enum:
    """A status column stored as its API string (VARCHAR, no native enum: adding a state is a code
    change, not a schema change)."""
    return Enum(
        enum_cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e], validate_strings=True
    )


# Whether the next SQLite transaction takes the write lock at BEGIN (the default, safe for any use
# case) or only reads. Set per request by the web layer; see ``read_only_transactions``.
_IMMEDIATE: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=True)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    """Within this block SQLite transactions begin deferred: for work that only reads."""
    token = _IMMEDIATE.set(False)
    try:
        yield
    finally:
        _IMMEDIATE.reset(token)


@contextmanager
def write_transactions() -> Iterator[None]:
    """Within this block SQLite transactions begin IMMEDIATE again (e.g. a job run from a GET)."""
    token = _IMMEDIATE.set(True)
    try:
        yield
    finally:
        _IMMEDIATE.reset(token)


def set_read_only_transactions(read_only: bool) -> Any:
    return _IMMEDIATE.set(not read_only)


def reset_transaction_mode(token: Any) -> None:
    _IMMEDIATE.reset(token)


# How long a SQLite write waits for the lock another process holds before "database is locked"
# (answered 503 ``busy``). Read when an engine is made.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _prepare_sqlite(engine: Engine) -> None:
    busy_timeout = int(SQLITE_BUSY_TIMEOUT_MS)

    # The pysqlite recipe from the SQLAlchemy docs: take transaction control away from the driver
    # and begin every transaction ourselves, IMMEDIATE (unless read-only) so that it holds the
    # write lock from its first read.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


F = TypeVar("F", bound=Callable[..., Any])


def use_case(fn: F) -> F:
    """A use case takes the session first and owns its transaction: when it refuses (raises), nothing
    it wrote stays in the session, whoever called it."""

    @functools.wraps(fn)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return wrapper  # type: ignore[return-value]


def make_session_factory(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions of ``engine``; ``info`` is what each session carries in ``Session.info`` (the
    application's audit key, for ``shop.audit``)."""
    return sessionmaker(bind=engine, expire_on_commit=False, info=dict(info or {}))


def one_snapshot(session: Session) -> None:
    """Have the session's next transaction read one snapshot, for a verification that sums several
    tables while others write: REPEATABLE READ on PostgreSQL (a SQLite read transaction already is
    one). Call before its first query."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def ping(session: Session) -> None:
    """A round trip to the database (the health check): raises when it does not answer."""
    session.execute(text("SELECT 1"))


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


# Database objects the models cannot express (full-text tables and their shadow tables, trigram
# indexes) are made by migrations by hand. Areas name them here; autogenerate and the migrations
# test leave them alone (``include_name``), and compare everything else with the models.
UNMODELLED: set[str] = set()


def unmodelled(*names: str) -> None:
    UNMODELLED.update(names)


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: False for the hand-made objects (a table named here and the
    tables SQLite makes for it, ``<name>_data`` …)."""
    if name is None or type_ not in ("table", "index"):
        return True
    return not any(name == n or (type_ == "table" and name.startswith(n + "_")) for n in UNMODELLED)
