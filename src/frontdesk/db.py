"""Database engine and sessions.

SQLite gets WAL, a busy timeout and foreign keys, and write transactions start with
`BEGIN IMMEDIATE` so two writers queue on the busy timeout instead of failing on a lock upgrade.
Writers of one process also queue on an in-process lock first: SQLite's busy handler polls with
sleeps growing to 100 ms, so under load a writer slept long after the lock was free (in `bench/load`
at 200 callers `BEGIN IMMEDIATE` waited up to 0.2 s on the hub's database thread and 1.1-1.8 s on
request threads and the dispatcher; queued on the lock, at most ~0.2 s); a lock wakes the next
writer at once. Writers in other processes (a `frontdesk dispatch`, the CLI) still use the
busy timeout.
PostgreSQL (psycopg 3) runs at READ COMMITTED; every state change is a conditional UPDATE.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings this project relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if ":memory:" not in url and url.rstrip("/") != "sqlite:":
            # Keep enough connections: past the pool (default 5 + 10), each burst opens and then closes
            # connections that run the PRAGMAs below and read the schema again. Idle SQLite connections
            # are cheap; 20+ concurrent requests are ordinary for `serve` (64 threads, live streams).
            kwargs.setdefault("pool_size", 32)
            kwargs.setdefault("max_overflow", 32)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """Owns the engine and hands out read and write sessions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(bind=write_bind, expire_on_commit=False)
        # Re-entrant: a write opened inside another on the same thread fails on SQLite's own lock, as before.
        self._writers = threading.RLock() if self.is_sqlite else None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work commits together or not at all."""
        if self._writers is None:
            with self._write() as session, session.begin():
                yield session
            return
        if not self._writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        try:
            with self._write() as session, session.begin():
                yield session
        finally:
            self._writers.release()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._read() as session:
            yield session

    def drop_everything(self) -> None:
        """Empty a PostgreSQL database (drop and recreate its `public` schema); for tests and benchmarks.

        SQLite needs no such thing: tests and benchmarks use a fresh file.
        """
        if self.is_sqlite:
            raise RuntimeError("drop_everything is for PostgreSQL; use a new SQLite file instead")
        with self.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
