"""SQLite writers of one process queue on the in-process lock (woken at once when the writer before
them commits) instead of SQLite's busy handler, which sleeps in steps growing to 100 ms."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from frontdesk import db as db_module
from frontdesk.db import Database


def _make(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/w.db")
    with database.write() as s:
        s.execute(text("CREATE TABLE t (n INTEGER)"))
    return database


def test_a_second_writer_waits_for_the_first_then_commits(tmp_path: Path) -> None:
    database = _make(tmp_path)
    inside, release, second_done = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with database.write() as s:
            s.execute(text("INSERT INTO t VALUES (1)"))
            inside.set()
            release.wait(10)
            order.append("first commits")

    def second() -> None:
        with database.write() as s:
            order.append("second begins")
            s.execute(text("INSERT INTO t VALUES (2)"))
        second_done.set()

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(10)
    b = threading.Thread(target=second)
    b.start()
    assert not second_done.wait(0.3)  # held back while the first transaction is open
    # ... on the in-process lock, before taking a connection (not inside SQLite's busy handler).
    assert database.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    release.set()
    a.join(10)
    b.join(10)
    assert order == ["first commits", "second begins"]
    with database.read() as s:
        assert sorted(s.execute(text("SELECT n FROM t")).scalars()) == [1, 2]
    database.dispose()


def test_a_writer_that_cannot_get_the_lock_gets_database_is_locked(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    database = _make(tmp_path)
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with database.write():
            holding.set()
            done.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    assert holding.wait(10)
    try:
        with pytest.raises(OperationalError, match="database is locked"), database.write():
            pass
    finally:
        done.set()
        t.join(10)
    with database.write() as s:  # free again once the holder committed
        s.execute(text("INSERT INTO t VALUES (3)"))
    database.dispose()


def test_a_failed_write_rolls_back_and_frees_the_lock(tmp_path: Path) -> None:
    database = _make(tmp_path)
    with pytest.raises(RuntimeError), database.write() as s:
        s.execute(text("INSERT INTO t VALUES (4)"))
        raise RuntimeError("boom")
    with database.write() as s:
        s.execute(text("INSERT INTO t VALUES (5)"))
    with database.read() as s:
        assert list(s.execute(text("SELECT n FROM t")).scalars()) == [5]
    database.dispose()
