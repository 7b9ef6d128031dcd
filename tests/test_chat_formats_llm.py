"""llm's logs.db of each schema, and `llm logs --json`, made by the real llm (tests/llm_logs.py).

The first run builds two venvs from PyPI (llm 0.31.1 and the newest llm, each with llm-echo);
without the network these tests fail, they never skip.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests import llm_logs
from tests.chat_formats_helpers import read_all
from todo_cli.chat_formats import ImportedConversation, open_chats

pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("llm")
    out = {
        "old": llm_logs.old_db(work),
        "new": llm_logs.new_db(work),
        "upgraded": llm_logs.upgraded_db(work),
    }
    for name, version in (("old", llm_logs.OLD), ("new", llm_logs.NEW), ("upgraded", llm_logs.NEW)):
        path = work / f"{name}.json"
        path.write_text(llm_logs.logs_json(version, out[name], work / f"json-{name}"), "utf-8")
        out[f"{name}.json"] = path
    return out


def _ids(db: Path, sql: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute(sql)]


def _talk(conv: ImportedConversation) -> list[tuple[str, str]]:
    """(role, text), the echo plugin's JSON replies shown as the prompt they echo."""
    out = []
    for m in conv.messages:
        text = m.content
        if m.role == "assistant":
            thinking, _, body = text.rpartition("</thinking>\n\n")
            echoed = json.loads(body.split("\n\n[tool call:")[0])
            text = f"{thinking + '</thinking> ' if thinking else ''}echo: {echoed['prompt']}"
            text += " +call" if "[tool call: llm_version]" in m.content else ""
        out.append((m.role, text))
    return out


def test_old_schema(made: dict[str, Path]) -> None:
    convs = read_all(made["old"])
    assert [c.source_id for c in convs] == _ids(
        made["old"], "select id from conversations order by id"
    )
    assert [c.title for c in convs] == [
        "What is the capital of France?",
        "Lisbon has seven hills. Summari…",
        '{"prompt": "Which llm?", "tool_…',
    ]
    assert [_talk(c) for c in convs] == [
        [
            ("system", "You are terse."),
            ("user", "What is the capital of France?"),
            ("assistant", "echo: What is the capital of France?"),
            ("user", "And of Spain?"),
            ("assistant", "echo: And of Spain?"),
            ("user", "Thanks!"),
            ("assistant", "echo: Thanks!"),
        ],
        # llm 0.31 keeps the fragment apart from the typed prompt; the model saw both.
        [
            ("user", "Lisbon has seven hills.\n\nSummarise the notes"),
            ("assistant", "echo: Lisbon has seven hills.\n\nSummarise the notes"),
        ],
        [
            ("user", '{"prompt": "Which llm?", "tool_calls": [{"name": "llm_version"}]}'),
            ("assistant", "echo: Which llm? +call"),
            ("tool", "0.31.1"),
            ("assistant", "echo: "),
        ],
    ]
    responses = _ids(made["old"], "select id from responses order by conversation_id, id")
    france = convs[0]
    assert [m.source_id for m in france.messages] == [
        f"{responses[0]}:system",
        f"{responses[0]}:prompt",
        f"{responses[0]}:response",
        f"{responses[1]}:prompt",
        f"{responses[1]}:response",
        f"{responses[2]}:prompt",
        f"{responses[2]}:response",
    ]
    tool = convs[2].messages[2]
    assert (tool.model, tool.source_id.endswith(":tool_result:1")) == ("llm_version", True)
    assert {m.model for m in france.messages if m.role == "assistant"} == {"echo"}
    with sqlite3.connect(made["old"]) as conn:
        first = conn.execute("select datetime_utc from responses order by id").fetchone()[0]
    assert france.created_at is not None and france.created_at.isoformat() == first


def test_new_schema(made: dict[str, Path]) -> None:
    convs = read_all(made["new"])
    assert [c.source_id for c in convs] == _ids(made["new"], "select id from threads order by id")
    assert [_talk(c) for c in convs] == [
        [
            ("system", "You are terse."),
            ("user", "What is the capital of Italy?"),
            ("assistant", "echo: What is the capital of Italy?"),
            ("user", "And of Greece?"),
            ("assistant", "echo: And of Greece?"),
        ],
        [
            ("user", "Lisbon has seven hills.\n\nSummarise the notes"),
            ("assistant", "echo: Lisbon has seven hills.\n\nSummarise the notes"),
        ],
        [
            ("user", "Think first"),
            (
                "assistant",
                "<thinking>\nFirst I consider the prompt, then I decide what to say.\n"
                "</thinking> echo: Think first",
            ),
        ],
        [
            ("user", '{"prompt": "Which llm?", "tool_calls": [{"name": "llm_version"}]}'),
            ("assistant", "echo: Which llm? +call"),
            ("tool", llm_logs.NEW),
            ("assistant", "echo: "),
        ],
    ]
    turns = _ids(made["new"], "select id from turns order by thread_id, id")
    assert [m.source_id for m in convs[0].messages] == [
        f"{turns[0]}:system",
        f"{turns[0]}:prompt",
        f"{turns[0]}:response",
        f"{turns[1]}:prompt",
        f"{turns[1]}:response",
    ]


def test_upgraded_database_has_each_conversation_once(made: dict[str, Path]) -> None:
    convs = read_all(made["upgraded"])
    old_ids = _ids(made["upgraded"], "select id from conversations order by id")
    new_only = _ids(
        made["upgraded"], "select id from threads where id not in (select id from conversations)"
    )
    assert [c.source_id for c in convs] == sorted(old_ids + new_only)
    france = convs[0]
    assert france.title == "What is the capital of France?"  # the original, not the thread's
    assert [t for r, t in _talk(france) if r == "user"] == [
        "What is the capital of France?",
        "And of Spain?",
        "Thanks!",
        "One more, from the new llm",
    ]
    assert [r for r, _ in _talk(france)].count("system") == 1
    ids = [m.source_id for c in convs for m in c.messages]
    assert len(ids) == len(set(ids))
    # What the old llm wrote reads the same after the upgrade: a re-import adds only what is new.
    before = read_all(made["upgraded"].parent.parent / "before-upgrade.db")
    after = {c.source_id: c.messages for c in convs}
    assert len(before) == 3
    for conv in before:
        assert after[conv.source_id][: len(conv.messages)] == conv.messages
    assert len(after[france.source_id]) == len(before[0].messages) + 2
    with open_chats(made["upgraded"]) as chats:
        assert chats.format == "llm" and chats.progress() == (0, 4)
        assert len(list(chats)) == 4 and chats.progress() == (4, 4)


@pytest.mark.parametrize("name", ["old", "new", "upgraded"])
def test_llm_logs_json_reads_as_the_database_does(made: dict[str, Path], name: str) -> None:
    from_db = read_all(made[name])
    assert read_all(made[f"{name}.json"]) == from_db
    assert read_all(made[name], "llm") == from_db  # and a second read, ids and all
