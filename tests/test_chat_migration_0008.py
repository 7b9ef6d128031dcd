"""Migration 0008 (chat sources) on both backends: rows made at 0007 are kept up, down and up
again; the new columns hold what imports put there; the downgrade keeps every message (the two
new roles become the nearest old ones) and asks first, since it drops the sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.dbutil import connect, migrate_db, query
from tests.helpers import js, ok, todo

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHATGPT = Path(__file__).parent / "fixtures" / "chat" / "chatgpt_conversations.json"


def _rows_at_0007(url: str) -> None:
    migrate_db(url, "0007")
    with connect(url) as c:
        c.execute(
            sa.text(
                "INSERT INTO users (id, email, name, created_at) VALUES ('me', 'me@x.io', 'me', :t)"
            ),
            {"t": T0},
        )
        c.execute(
            sa.text(
                "INSERT INTO conversations (id, user_id, title, message_count, created_at,"
                " updated_at) VALUES (5, 'me', 'old', 2, :t, :t)"
            ),
            {"t": T0},
        )
        for i, role in ((7, "user"), (8, "assistant")):
            c.execute(
                sa.text(
                    "INSERT INTO messages (id, conversation_id, user_id, role, content, created_at)"
                    " VALUES (:i, 5, 'me', :r, :c, :t)"
                ),
                {"i": i, "r": role, "c": f"old words {i}", "t": T0},
            )
        if c.dialect.name == "postgresql":
            for name in ("conversations", "messages"):
                seq = f"pg_get_serial_sequence('{name}', 'id')"
                c.execute(sa.text(f"SELECT setval({seq}, max(id)) FROM {name}"))


def _kept(url: str) -> list[tuple[object, ...]]:
    return query(
        url,
        "SELECT m.id, m.conversation_id, m.role, m.content, c.title, c.created_at"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.id = 5"
        " ORDER BY m.id",
    )


@pytest.mark.slow
def test_up_down_up_keeps_rows(db_url: str) -> None:
    url = db_url
    _rows_at_0007(url)
    before = _kept(url)
    migrate_db(url)
    assert _kept(url) == before
    assert query(url, "SELECT source, source_id FROM conversations WHERE id = 5") == [(None, None)]
    assert query(url, "SELECT model, source_id FROM messages WHERE id = 7") == [(None, None)]
    # Search still covers the old rows (SQLite's FTS triggers were made again).
    found = js(url, "--user", "me", "chat", "search", "words")
    assert sorted(h["id"] for h in found["items"]) == [7, 8]
    ok(url, "--user", "me", "chat", "say", "5", "tool output", "--role", "tool")
    ok(url, "--user", "me", "chat", "say", "5", "be brief", "--role", "developer", "--model", "m")
    ok(url, "--user", "me", "chat", "import", str(CHATGPT))
    assert js(url, "--user", "me", "chat", "search", "brief")["total"] == 1
    # The rule "one conversation per source id" is the database's own.
    with pytest.raises(sa.exc.IntegrityError), connect(url) as c:
        row = c.execute(
            sa.text("SELECT source, source_id FROM conversations WHERE source IS NOT NULL")
        ).first()
        assert row is not None
        c.execute(
            sa.text(
                "INSERT INTO conversations (user_id, title, message_count, created_at,"
                " updated_at, source, source_id) VALUES ('me', 'dup', 0, :t, :t, :s, :i)"
            ),
            {"t": T0, "s": row[0], "i": row[1]},
        )
    r = todo(url, "db", "downgrade", "0007")
    assert r.exit_code == 2 and "--yes" in r.stderr  # it drops the sources: asks first
    total = query(url, "SELECT count(*) FROM messages")[0][0]
    ok(url, "db", "downgrade", "0007", "--yes")
    assert query(url, "SELECT count(*) FROM messages")[0][0] == total
    assert _kept(url)[:2] == before
    roles = query(url, "SELECT role, content FROM messages WHERE conversation_id = 5 ORDER BY id")
    assert roles[2:] == [("assistant", "tool output"), ("system", "be brief")]
    migrate_db(url)
    assert _kept(url)[:2] == before
    assert (
        json.loads(todo(url, "--user", "me", "chat", "import", str(CHATGPT), "--json").stdout)[
            "conversations_added"
        ]
        == 3
    )  # the sources went with the downgrade: imported again as new


SAMPLES = [
    ".@/_:-+=?&#%~|\\<>",
    "a.b@c/d_e:f-g+h=i?j&k#l%m~n|o\\p<q>r ^[]{}() 'q' \"d\" é 日本 \\\\ -- \t\n",
    "report.pdf ada@example.com https://x.io/p?q=1&r=2#f 50% ~/x a|b c<d>e",
    "no punctuation at all",
]


def test_the_faster_vector_splits_exactly_as_before(pg_url: str) -> None:
    """PostgreSQL: regexp_replace turns the same characters into the same spaces as the
    translate() it replaces, so every stored vector is what it was."""
    import runpy

    m = runpy.run_path(
        str(Path(__file__).parent.parent / "migrations/versions/0008_chat_sources.py")
    )
    old, new = (m[k].replace("content", "CAST(:x AS text)") for k in ("TRANSLATED", "REPLACED"))
    for text in [*SAMPLES, "".join(SAMPLES), chr(0x2028) + "x.y" + chr(0xFEFF)]:
        [(a, b)] = query(pg_url, f"SELECT {old}, {new}", x=text)
        assert a == b, text
        assert a == "".join(" " if c in m["PUNCTUATION"] else c for c in text)
