"""Migration 0010 (one key from a message to its conversation and user) on both backends: rows
made at 0009 are kept up, down and up again; a message whose user was not its conversation's
is given the conversation's; afterwards the database refuses such a message; deleting a user
still deletes their messages; search still covers old and new messages; the ids of deleted
messages are not handed out again (SQLite's rebuild keeps the AUTOINCREMENT counter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.dbutil import connect, execute, migrate_db, query
from tests.helpers import js, ok

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MESSAGES = "SELECT id, conversation_id, user_id, role, content FROM messages ORDER BY id"


def _rows_at_0009(url: str) -> None:
    migrate_db(url, "0009")
    with connect(url) as c:
        for uid in ("me", "you"):
            c.execute(
                sa.text("INSERT INTO users (id, email, name, created_at) VALUES (:u, :e, :u, :t)"),
                {"u": uid, "e": f"{uid}@x.io", "t": T0},
            )
        for conv_id, uid in ((5, "me"), (6, "you")):
            c.execute(
                sa.text(
                    "INSERT INTO conversations (id, user_id, title, message_count, created_at,"
                    " updated_at) VALUES (:i, :u, 'old', 2, :t, :t)"
                ),
                {"i": conv_id, "u": uid, "t": T0},
            )
        # Message 9 says "you" but sits in my conversation: 0009 allowed it.
        for msg_id, conv_id, uid in ((7, 5, "me"), (8, 5, "me"), (9, 5, "you"), (10, 6, "you")):
            c.execute(
                sa.text(
                    "INSERT INTO messages (id, conversation_id, user_id, role, content, created_at)"
                    " VALUES (:i, :c, :u, 'user', :x, :t)"
                ),
                {"i": msg_id, "c": conv_id, "u": uid, "x": f"old words {msg_id}", "t": T0},
            )
        if c.dialect.name == "postgresql":
            for name in ("conversations", "messages"):
                seq = f"pg_get_serial_sequence('{name}', 'id')"
                c.execute(sa.text(f"SELECT setval({seq}, max(id)) FROM {name}"))
    # The two newest messages, deleted: their ids stay used.
    for _ in range(2):
        _insert_message(url, 6, "you")
    with connect(url) as c:
        c.execute(sa.text("DELETE FROM messages WHERE id > 10"))


def _insert_message(url: str, conv_id: int, uid: str) -> int:
    with connect(url) as c:
        if c.dialect.name == "sqlite":  # as the app's connections do (db.py)
            c.exec_driver_sql("PRAGMA foreign_keys = ON")
        new_id: int = c.execute(
            sa.text(
                "INSERT INTO messages (conversation_id, user_id, role, content, created_at)"
                " VALUES (:c, :u, 'user', 'x', :t) RETURNING id"
            ),
            {"c": conv_id, "u": uid, "t": T0},
        ).scalar_one()
        return new_id


@pytest.mark.slow
def test_up_down_up_keeps_rows_and_holds_the_rule(empty_url: str) -> None:
    url = empty_url
    _rows_at_0009(url)
    before = query(url, MESSAGES)
    migrate_db(url)
    after = query(url, MESSAGES)
    # Every row kept; message 9 now belongs to the owner of its conversation.
    assert [r[:2] + r[3:] for r in after] == [r[:2] + r[3:] for r in before]
    assert [r[2] for r in after] == ["me", "me", "me", "you"]
    # The rule is the database's own: a message cannot belong to another user's conversation,
    # nor to a conversation that does not exist.
    for conv_id, uid in ((5, "you"), (99, "me")):
        with pytest.raises(sa.exc.IntegrityError):
            _insert_message(url, conv_id, uid)
    first = _insert_message(url, 5, "me")
    assert first > 12  # not 11: the deleted ones' ids stay used
    # Search covers the old rows and the new ones (SQLite's FTS triggers were made again).
    found = js(url, "--user", "me", "chat", "search", "words")
    assert sorted(h["id"] for h in found["items"]) == [7, 8, 9]
    said = js(url, "--user", "me", "chat", "say", "5", "fresh words")["id"]
    assert js(url, "--user", "me", "chat", "search", "fresh")["total"] == 1
    newest = _insert_message(url, 5, "me")
    execute(url, "DELETE FROM messages WHERE id = :i", i=newest)
    ok(url, "db", "downgrade", "0009")  # drops nothing that holds data: no question
    assert query(url, MESSAGES)[:4] == after
    planted = _insert_message(url, 5, "you")  # 0009's two keys allow it again
    assert planted > newest  # the downgrade kept the counter too
    newest = _insert_message(url, 5, "me")
    execute(url, "DELETE FROM messages WHERE id = :i", i=newest)
    migrate_db(url)
    last = _insert_message(url, 5, "me")
    assert last > newest
    by_id = {r[0]: r[2] for r in query(url, MESSAGES)}
    assert by_id == {7: "me", 8: "me", 9: "me", 10: "you"} | dict.fromkeys(
        (first, said, planted, last), "me"
    )  # the planted message aligned with its conversation
    # Deleting a user deletes their messages, through their conversations.
    with connect(url) as c:
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys = ON")
        c.execute(sa.text("DELETE FROM users WHERE id = 'you'"))
    assert query(url, "SELECT count(*) FROM messages WHERE conversation_id = 6") == [(0,)]
    assert query(url, "SELECT count(*) FROM messages")[0][0] == 7
