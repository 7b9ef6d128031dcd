"""How `todo import` stores rows: SQLite's multi-row INSERTs whatever the number of rows per
statement, the request key that makes a retried import safe, and every record checked before
the database is touched."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.dbutil import migrate_db
from tests.helpers import cli
from todo_cli.config import parse_url
from todo_cli.services import bulk_insert
from todo_cli.services.tasks.importing import BATCH


def _records(n: int) -> list[dict[str, Any]]:
    """Records that exercise every column and both the fast and the model path."""
    return [
        {
            "title": f"task {i} ✓" if i % 5 == 0 else f"task {i}",
            "description": None if i % 2 else f"notes\t{i}\nline 2 \\ end",
            "completed": i % 3 == 0,
            "priority": (None, "low", "medium", "high")[i % 4],
            "due": "2026-12-01T10:00:00Z" if i % 7 == 0 else None,
            "tags": [["a"], [], ["x", "y"]][i % 3],
            "created_at": f"2026-01-01T00:{i % 60:02d}:00+01:00",
            "deleted_at": "2026-02-01T00:00:00+00:00" if i % 11 == 0 else None,
        }
        for i in range(n)
    ]


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as c:
        return [
            r[1]
            for r in c.execute("PRAGMA table_info(tasks)")
            if r[1] not in ("request_key", "uuid")
        ]


def _raw_rows(path: Path) -> list[tuple[Any, ...]]:
    """Every stored value with SQLite's own storage class, request keys (and the uuids,
    new in each file) left out."""
    cols = _columns(path)
    with sqlite3.connect(path) as c:
        q = f"SELECT {', '.join(f'{x}, typeof({x})' for x in cols)} FROM tasks ORDER BY id"
        return c.execute(q).fetchall()


def _import_into_new_sqlite(path: Path, records: list[dict[str, Any]]) -> None:
    url = f"sqlite:///{path}"
    migrate_db(url)
    r = cli("--database-url", url, "import", "-", input=json.dumps(records))
    assert (r.exit_code, r.stderr) == (0, ""), r.stderr


def test_sqlite_stores_the_same_whatever_the_rows_per_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _records(BATCH + 17)
    _import_into_new_sqlite(tmp_path / "batch.db", records)
    monkeypatch.setattr(bulk_insert, "rows_per_statement", lambda conn, width: 1)
    _import_into_new_sqlite(tmp_path / "rows.db", records)
    monkeypatch.setattr(bulk_insert, "rows_per_statement", lambda conn, width: 7)
    _import_into_new_sqlite(tmp_path / "sevens.db", records)
    stored = _raw_rows(tmp_path / "batch.db")
    assert len(stored) == BATCH + 17
    assert stored == _raw_rows(tmp_path / "rows.db") == _raw_rows(tmp_path / "sevens.db")
    # Rows from the multi-row statements, against values written out here, so that equally
    # wrong paths cannot agree: a bool is stored as 0/1, priority as its number, timestamps
    # as naive UTC text, tags as JSON text.
    columns = _columns(tmp_path / "batch.db")

    shown = ("id", "title", "description", "completed", "priority", "due", "created_at",
             "updated_at", "completed_at", "deleted_at", "tags")  # fmt: skip

    def row(i: int) -> dict[str, tuple[Any, str]]:
        pairs = zip(stored[i][::2], stored[i][1::2], strict=True)
        return {k: v for k, v in zip(columns, pairs, strict=True) if k in shown}

    def text(v: str | None) -> tuple[str | None, str]:
        return (v, "null" if v is None else "text")

    assert row(0)["description"] == text("notes\t0\nline 2 \\ end")
    at_7, at_33 = "2025-12-31 23:07:00.000000", "2025-12-31 23:33:00.000000"
    assert row(7) == {
        "id": (8, "integer"), "title": text("task 7"), "description": text(None),
        "completed": (0, "integer"), "priority": (3, "integer"),
        "due": text("2026-12-01 10:00:00.000000"), "created_at": text(at_7),
        "updated_at": text(at_7), "completed_at": text(None), "deleted_at": text(None),
        "tags": text("[]"),
    }  # fmt: skip
    assert row(33) == {
        "id": (34, "integer"), "title": text("task 33"), "description": text(None),
        "completed": (1, "integer"), "priority": (1, "integer"), "due": text(None),
        "created_at": text(at_33), "updated_at": text(at_33), "completed_at": text(at_33),
        "deleted_at": text("2026-02-01 00:00:00.000000"), "tags": text('["a"]'),
    }  # fmt: skip
    assert row(5)["title"] == text("task 5 ✓") and row(2)["tags"] == text('["x", "y"]')


def test_only_the_first_row_carries_the_request_key(db_url: str) -> None:
    _check_request_keys(db_url)


def test_an_old_sqlite_takes_fewer_rows_per_statement(sqlite_url: str) -> None:
    """SQLite before 3.32 allows 999 parameters per statement, not 32,766."""
    engine = sa.create_engine(parse_url(sqlite_url))
    try:
        with engine.connect() as c:
            dbapi = c.connection.dbapi_connection
            assert bulk_insert.rows_per_statement(dbapi, 10) == BATCH
            limit = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
            assert bulk_insert.rows_per_statement(dbapi, 24) == min(BATCH, limit // 24)
            dbapi.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # type: ignore[union-attr]
            assert bulk_insert.rows_per_statement(dbapi, 24) == 41
    finally:
        engine.dispose()


def _check_request_keys(db_url: str) -> None:
    r = cli("--database-url", db_url, "import", "-", input=json.dumps(_records(BATCH + 3)))
    assert (r.exit_code, r.stderr) == (0, "")
    engine = sa.create_engine(parse_url(db_url))
    try:
        with engine.connect() as c:
            keys = c.execute(sa.text("SELECT request_key FROM tasks ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert len(keys) == BATCH + 3
    assert keys[0] is not None and len(keys[0]) >= 16
    assert keys[1:] == [None] * (BATCH + 2)


def test_a_bad_record_in_a_later_statement_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_insert, "rows_per_statement", lambda conn, width: 7)
    records = _records(BATCH * 2)
    records[BATCH + 1]["priority"] = "urgent"
    url = f"sqlite:///{tmp_path / 'x.db'}"
    migrate_db(url)
    r = cli("--database-url", url, "import", "-", input=json.dumps(records))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: record {BATCH + 2}: priority")
    assert _raw_rows(tmp_path / "x.db") == []


def test_a_bad_record_is_reported_before_the_database_is_reached() -> None:
    url = "postgresql://todo@127.0.0.1:1/nowhere"  # nothing listens on port 1
    records = [{"title": "fine"}] * (BATCH * 3) + [{"title": ""}]
    r = cli("--database-url", url, "import", "-", input=json.dumps(records),
            env={"TODO_RETRY_SECONDS": "0"})  # fmt: skip
    assert (r.exit_code, r.stderr) == (
        2,
        f"error: record {BATCH * 3 + 1}: title must not be empty\n",
    )


def test_imported_urgency_and_journal_agree_with_sql(db_url: str) -> None:
    """The import computes the new rows' stored urgency and journal image in Python; the
    database's own formula and image must give the same."""
    from todo_cli.services.tasks import images
    from todo_cli.services.tasks.pipeline import Fragments
    from todo_cli.services.tasks.urgency import refresh_sql

    u = "22222222-2222-4222-8222-{:012d}".format
    records = [
        {"title": "a", "uuid": u(1), "priority": "high", "tags": ["next", "x"], "project": "P",
         "due": "2026-12-01T10:00:00Z", "scheduled": "2026-11-01T00:00:00Z",
         "start": "2026-11-02T00:00:00Z", "depends": [u(2)],
         "annotations": [{"entry": "2026-11-03T00:00:00Z", "description": "n1"}]},
        {"title": "b", "uuid": u(2), "tags": ["a", "b", "c"], "due": "2026-12-24"},
        {"title": "c", "uuid": u(3), "completed": True, "depends": [u(2)], "extra": {"k": [1]}},
        {"title": "d", "uuid": u(4), "recur": "weekly", "due": "2026-12-01T09:00:00Z"},
    ]  # fmt: skip
    r = cli("--database-url", db_url, "import", "-", input=json.dumps(records))
    assert (r.exit_code, r.stderr) == (0, "")
    engine = sa.create_engine(parse_url(db_url))
    try:
        with engine.begin() as c:
            q = "SELECT uuid, urgency_base FROM tasks ORDER BY id"
            mine = c.execute(sa.text(q)).all()
            f = Fragments(c.dialect.name)
            sql_images = dict(
                c.execute(sa.text(f"SELECT t.uuid, {images.image(f, 't')} FROM tasks t")).all()
            )
            journal = dict(c.execute(sa.text("SELECT task_uuid, after FROM journal")).all())
            c.execute(sa.text(refresh_sql(c.dialect.name, "TRUE")))
            theirs = c.execute(sa.text(q)).all()
    finally:
        engine.dispose()
    assert [(k, round(v, 6)) for k, v in mine] == [(k, round(v, 6)) for k, v in theirs]
    assert mine[1][1] > 8  # blocking: an open task depends on it
    from todo_cli.services.tasks.journal import _same

    def loaded(v: object) -> object:
        return json.loads(v) if isinstance(v, str) else v

    for uuid, image in sql_images.items():
        assert _same(loaded(image), loaded(journal[uuid])), uuid
    r = cli("--database-url", db_url, "undo", "--yes")
    assert (r.exit_code, r.stdout) == (0, "undid 'import -' (4 tasks)\n")
