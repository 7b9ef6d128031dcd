"""Migration 0007 (the task model) on rows that the code of revision 0006 made
(tests/fixtures/db/rows-0006.json, by make_0006.sh): every row is kept up, down and up again,
on both backends, and the new columns are filled as documented."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.dbutil import connect, migrate_db
from tests.helpers import js, local_tz, ok

ROWS: dict[str, list[dict[str, Any]]] = json.loads(
    (Path(__file__).parent / "fixtures" / "db" / "rows-0006.json").read_text(encoding="utf-8")
)
ME = "root@localhost"
KEPT = {  # the columns of 0006, which must come back exactly
    "users": ("id", "email", "name", "created_at"),
    "tasks": (
        "id", "user_id", "title", "description", "completed", "priority", "due", "created_at",
        "updated_at", "completed_at", "deleted_at", "tags",
    ),
    "conversations": ("id", "user_id", "title", "message_count", "created_at", "updated_at"),
    "messages": ("id", "conversation_id", "user_id", "role", "content", "created_at"),
}  # fmt: skip


def _value(column: sa.Column, value: Any) -> Any:  # type: ignore[type-arg]
    """A fixture value as Python, for the column it goes to."""
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(column.type, sa.Boolean):
        return bool(value)
    if column.name == "tags":
        return json.loads(value)
    return value


def _load(url: str) -> None:
    """The fixture's rows into a database at 0006, ids and all."""
    migrate_db(url, "0006")
    with connect(url) as c:
        md = sa.MetaData()
        for name, rows in ROWS.items():
            table = sa.Table(name, md, autoload_with=c)
            c.execute(
                table.insert(),
                [{k: _value(table.c[k], v) for k, v in row.items()} for row in rows],
            )
        if c.dialect.name == "postgresql":
            for name in ("tasks", "conversations", "messages"):
                c.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id))"
                            f" FROM {name}")
                )  # fmt: skip


def _kept(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The 0006 columns of every row, as Python values (timestamps in UTC)."""
    out = {}
    with connect(url) as c:
        md = sa.MetaData()
        for name, columns in KEPT.items():
            table = sa.Table(name, md, autoload_with=c)
            rows = c.execute(sa.select(*(table.c[k] for k in columns)).order_by(table.c.id))
            out[name] = [tuple(_norm(v) for v in r) for r in rows]
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    return value


def test_every_row_is_kept_up_down_and_up(empty_url: str) -> None:
    url = empty_url
    with local_tz("America/New_York"):  # where the fixture's bare date was typed
        _load(url)
        before = _kept(url)
        migrate_db(url)
        tasks = {t["id"]: t for t in js(url, "list", "--status", "all", user=ME)["items"]}
        assert set(tasks) == {1, 2, 3, 5}  # 4 is in the trash
        assert [t["id"] for t in js(url, "trash", user=ME)["items"]] == [4]
        milk, mum = tasks[1], tasks[2]
        assert (milk["due"], milk["priority"], milk["tags"]) == (
            "2026-12-20",
            "high",
            ["shop", "home"],
        )
        assert mum["due"] == "2026-12-24T23:30:00+00:00"  # a time stays that moment
        assert mum["description"] == "about Sunday\nand the train"
        assert tasks[3]["status"] == "completed" and tasks[5]["tags"] == ["näh"]
        uuids = [t["uuid"] for t in tasks.values()]
        assert len(set(uuids)) == 4 and all(len(u) == 36 and u[14] == "4" for u in uuids)
        assert milk["urgency"] > mum["urgency"] > 0  # high priority and two tags count
        assert js(url, "chat", "search", "pack", user=ME)["total"] == 1
        assert [t["title"] for t in js(url, "list", user="ada@example.com")["items"]] == [
            "ada's task"
        ]
        upgraded = _kept(url)
        due = KEPT["tasks"].index("due")
        assert [r[:due] + r[due + 1 :] for r in upgraded["tasks"]] == [
            r[:due] + r[due + 1 :] for r in before["tasks"]
        ]  # only the bare date's storage changed
        ok(url, "db", "downgrade", "0006", "--yes")
        assert _kept(url) == before  # the calendar day is New York's end of it again
        migrate_db(url)
        assert _kept(url) == upgraded
        assert js(url, "show", "1", user=ME)["due"] == "2026-12-20"
        new = ok(url, "add", "after the upgrade", user=ME).stdout
        assert new == "added task 7: after the upgrade\n"  # ids go on, never reused


def _used_and_deleted(url: str, table: str, row_id: int, **values: Any) -> None:
    """A row with id `row_id`, the newest, deleted again: its id has been handed out."""
    with connect(url) as c:
        t = sa.Table(table, sa.MetaData(), autoload_with=c)
        c.execute(t.insert().values(id=row_id, **values))
        if c.dialect.name == "postgresql":  # as if the sequence had given it
            c.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {row_id})"))
        c.execute(t.delete().where(t.c.id == row_id))


def test_the_upgrade_hands_out_no_id_twice(empty_url: str) -> None:
    """SQLite rebuilds `tasks` (and 0008 `conversations` and `messages`): the AUTOINCREMENT
    counters must survive the rebuilds, up and down, or a deleted newest row's id comes back."""
    url = empty_url
    _load(url)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    _used_and_deleted(
        url, "tasks", 99, user_id="root", title="gone", completed=False, created_at=at,
        updated_at=at, tags=[],
    )  # fmt: skip
    _used_and_deleted(
        url, "conversations", 50, user_id="root", message_count=0, created_at=at, updated_at=at
    )
    _used_and_deleted(
        url, "messages", 60, conversation_id=1, user_id="root", role="user", content="x",
        created_at=at,
    )  # fmt: skip
    migrate_db(url)
    assert ok(url, "add", "after", user=ME).stdout == "added task 100: after\n"
    conv = js(url, "chat", "new", "after", user=ME)["id"]
    assert conv == 51
    assert js(url, "chat", "say", str(conv), "hello", user=ME)["id"] == 61
    ok(url, "db", "downgrade", "0006", "--yes")
    migrate_db(url)
    assert ok(url, "add", "again", user=ME).stdout == "added task 101: again\n"
