"""`todo chat import` and `todo chat export` on both backends: every format comes in whole, a
second import of the same source adds only what is new, a bad record writes nothing, and our
export (one conversation, --all, openai) goes back in."""

from __future__ import annotations

import copy
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dbutil import counts, migrate_db, query
from tests.helpers import CONV_KEYS, MSG_KEYS, json_of, new_conv, ok_run, say, todo

FIXTURES = Path(__file__).parent / "fixtures" / "chat"
CHATGPT = FIXTURES / "chatgpt_conversations.json"
CLAUDE = FIXTURES / "claude_conversations.json"
OPENAI = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Capital of France?", "name": "ada"},
    {"role": "assistant", "content": "Paris.\n\n**Sure**"},
]
RESULT_KEYS = [
    "format",
    "conversations_added",
    "conversations_updated",
    "conversations_unchanged",
    "messages_added",
    "items",
]


def _import(db_url: str, source: str, *args: str, input: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json_of(
        todo(db_url, "chat", "import", source, "--json", *args, input=input)
    )
    return data


def _messages(db_url: str, conv_id: int) -> list[tuple[str, str]]:
    sql = "SELECT role, content FROM messages WHERE conversation_id = :c ORDER BY created_at, id"
    return [(r[0], r[1]) for r in query(db_url, sql, c=conv_id)]


def _show(db_url: str, conv_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json_of(todo(db_url, "chat", "show", str(conv_id), "--json"))
    return data


def _epoch(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat()


def test_import_an_openai_list_from_a_file(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(OPENAI), encoding="utf-8")
    r = ok_run(todo(db_url, "chat", "import", str(path)))
    assert r.stdout == "imported conversation 1 with 3 messages\n"
    assert _messages(db_url, 1) == [(m["role"], m["content"]) for m in OPENAI]
    shown = _show(db_url, 1)
    assert (shown["title"], shown["source"]["format"]) == (None, "openai")
    again = ok_run(todo(db_url, "chat", "import", str(path)))
    assert again.stdout == "nothing new (1 conversation already up to date)\n"
    assert counts(db_url)["messages"] == 3


def test_import_json_shape_and_a_title(db_url: str) -> None:
    doc = {"title": "Geography", "messages": OPENAI[1:]}
    data = _import(db_url, "-", input=json.dumps(doc))
    assert list(data) == RESULT_KEYS
    assert (data["format"], data["conversations_added"], data["messages_added"]) == ("openai", 1, 2)
    [item] = data["items"]
    assert (item["id"], item["title"], item["message_count"]) == (1, "Geography", 2)
    assert set(CONV_KEYS) <= set(item)
    titled = _import(db_url, "-", "--title", "Mine", input=json.dumps(OPENAI))
    assert titled["items"][0]["title"] == "Mine"


def test_a_longer_copy_adds_only_the_new_messages(db_url: str) -> None:
    _import(db_url, "-", input=json.dumps(OPENAI))
    more = [*OPENAI, {"role": "user", "content": "And Spain?"}, {"role": "tool", "content": "x"}]
    data = _import(db_url, "-", input=json.dumps(more))
    assert (data["conversations_added"], data["conversations_updated"]) == (0, 1)
    assert (data["messages_added"], data["items"][0]["message_count"]) == (2, 5)
    assert [r for r, _ in _messages(db_url, 1)] == ["system", "user", "assistant", "user", "tool"]
    listed = json_of(todo(db_url, "chat", "list", "--json"))["items"]
    assert [(c["id"], c["message_count"]) for c in listed] == [(1, 5)]


def test_chatgpt_export_keeps_titles_times_models_and_imports_once(
    db_url: str, tmp_path: Path
) -> None:
    raw = json.loads(CHATGPT.read_text(encoding="utf-8"))
    first = _import(db_url, str(CHATGPT))
    assert (first["format"], first["conversations_added"]) == ("chatgpt", len(raw))
    for conv, item in zip(raw, first["items"], strict=True):
        assert item["title"] == conv["title"]
        assert item["source"] == {"format": "chatgpt", "id": conv["conversation_id"]}
        if conv["create_time"] is not None:
            assert item["created_at"] == _epoch(conv["create_time"])
    shown = _show(db_url, first["items"][0]["id"])
    assert shown["messages"][0]["content"] == "What should I pack for Lisbon in May?"
    assert {m["model"] for m in shown["messages"] if m["role"] == "assistant"} == {"gpt-4o"}
    assert list(shown["messages"][0]) == MSG_KEYS
    before = counts(db_url)
    again = _import(db_url, str(CHATGPT))
    assert (again["conversations_added"], again["messages_added"]) == (0, 0)
    assert again["conversations_unchanged"] == len(raw)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(CHATGPT, "conversations.json")
        z.writestr("chat.html", "<html></html>")
    assert _import(db_url, str(archive))["messages_added"] == 0
    assert counts(db_url) == before


def test_a_continued_chatgpt_conversation_adds_its_new_turn(db_url: str) -> None:
    raw = json.loads(CHATGPT.read_text(encoding="utf-8"))
    _import(db_url, "-", input=json.dumps(raw))
    conv = copy.deepcopy(raw[0])
    last = conv["current_node"]
    node = copy.deepcopy(conv["mapping"][last])
    node.update(id="new-node", parent=last, children=[])
    node["message"].update(id="new-node", create_time=conv["update_time"] + 60)
    node["message"]["content"] = {"content_type": "text", "parts": ["Bring an umbrella too."]}
    conv["mapping"][last]["children"].append("new-node")
    conv["mapping"]["new-node"] = node
    conv.update(current_node="new-node", update_time=conv["update_time"] + 60)
    data = _import(db_url, "-", input=json.dumps([conv, *raw[1:]]))
    assert (data["conversations_updated"], data["messages_added"]) == (1, 1)
    shown = _show(db_url, data["items"][0]["id"])
    assert shown["messages"][-1]["content"] == "Bring an umbrella too."
    assert shown["updated_at"] == _epoch(conv["update_time"])


def test_claude_export_imports_once(db_url: str) -> None:
    first = _import(db_url, str(CLAUDE))
    assert first["format"] == "claude" and first["messages_added"] > 0
    assert _import(db_url, str(CLAUDE))["messages_added"] == 0


def _many_chatgpt(n: int) -> list[dict[str, Any]]:
    """n conversations (more than one batch of the importer), copies of the fixture's."""
    raw = json.loads(CHATGPT.read_text(encoding="utf-8"))
    out = []
    for i in range(n):
        conv = copy.deepcopy(raw[i % len(raw)])
        conv["conversation_id"] = conv["id"] = f"conv-{i}"
        out.append(conv)
    return out


def test_one_bad_record_at_the_end_writes_nothing(db_url: str) -> None:
    convs = _many_chatgpt(700)
    node = next(n for n in convs[-1]["mapping"].values() if n.get("message"))
    node["message"]["author"]["role"] = "robot"
    before = counts(db_url)["messages"], counts(db_url)["conversations"]
    r = todo(db_url, "chat", "import", "-", input=json.dumps(convs))
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr.startswith('error: conversation 700 ("Trip to Lisbon"), message')
    assert "robot" in r.stderr and r.stderr.count("\n") == 1
    assert (counts(db_url)["messages"], counts(db_url)["conversations"]) == before


def test_what_cannot_be_read_is_one_line(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "latin1.json").write_bytes(
        '[{"role": "user", "content": "caf\xe9"}]'.encode("latin-1")
    )
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    for name, problem in [
        ("missing.json", "no such file"),
        ("latin1.json", "not UTF-8 text"),
        ("notes.txt", "text, not JSON"),
        ("bad.zip", "not a readable zip archive"),
    ]:
        r = todo(db_url, "chat", "import", str(tmp_path / name))
        assert (r.exit_code, r.stdout) == (2, ""), r
        assert r.stderr.startswith("error: ") and problem in r.stderr and r.stderr.count("\n") == 1
    r = todo(db_url, "chat", "import", str(CHATGPT), "--format", "claude")
    assert r.exit_code == 2 and "a ChatGPT export, not claude" in r.stderr
    assert counts(db_url)["messages"] == 0


def test_export_all_goes_back_in_exactly_and_only_once(db_url: str, tmp_path: Path) -> None:
    _import(db_url, str(CHATGPT))
    _import(db_url, str(CLAUDE))
    mine = new_conv(db_url, "made here")
    say(db_url, mine, "hello **there**")
    r = ok_run(todo(db_url, "chat", "export", "--all"))
    exported = json.loads(r.stdout)
    assert [c["created_at"] for c in exported] == sorted(c["created_at"] for c in exported)
    path = tmp_path / "all.json"
    path.write_text(r.stdout, encoding="utf-8")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    migrate_db(other)
    data = _import(other, str(path))
    assert (data["format"], data["conversations_added"]) == ("todo", len(exported))
    back = json.loads(ok_run(todo(other, "chat", "export", "--all")).stdout)
    keep = ("title", "message_count", "source", "created_at", "updated_at")
    for a, b in zip(exported, back, strict=True):
        assert {k: b[k] for k in keep} == {
            **{k: a[k] for k in keep},
            "source": a["source"] or b["source"],
        }
        assert [(m["role"], m["content"], m["model"], m["created_at"]) for m in b["messages"]] == [
            (m["role"], m["content"], m["model"], m["created_at"]) for m in a["messages"]
        ]
    assert back[-1]["source"]["format"] == "todo"  # made in todo: known by its id there
    assert _import(other, str(path))["messages_added"] == 0
    # The ChatGPT conversations kept their source: the export itself adds nothing either.
    assert _import(other, str(CHATGPT))["messages_added"] == 0
    assert _import(db_url, str(path))["conversations_added"] == 1  # only the one made here


def test_export_one_and_openai(db_url: str, tmp_path: Path) -> None:
    conv = _import(db_url, "-", input=json.dumps({"title": "T", "messages": OPENAI}))["items"][0]
    one = json.loads(ok_run(todo(db_url, "chat", "export", str(conv["id"]))).stdout)
    assert list(one) == [*CONV_KEYS, "messages"] and len(one["messages"]) == 3
    assert one == json.loads(ok_run(todo(db_url, "chat", "export", "last")).stdout)
    r = ok_run(todo(db_url, "chat", "export", str(conv["id"]), "--format", "openai"))
    assert json.loads(r.stdout) == [{"role": m["role"], "content": m["content"]} for m in OPENAI]
    say(db_url, conv["id"], "second")
    lines = ok_run(todo(db_url, "chat", "export", "--all", "--format", "openai")).stdout
    assert [json.loads(line)["title"] for line in lines.splitlines()] == ["T"]
    path = tmp_path / "ft.jsonl"
    path.write_text(lines, encoding="utf-8")
    assert _import(db_url, str(path))["messages_added"] == 0  # the same conversation, no more
    md = ok_run(todo(db_url, "chat", "export", "--all", "--format", "markdown")).stdout
    assert md.startswith("# T\n\n## system · ") and "Paris.\n\n**Sure**" in md
    for args in ([], [str(conv["id"]), "--all"]):
        r = todo(db_url, "chat", "export", *args)
        assert (r.exit_code, r.stderr) == (2, "error: give a conversation ID or --all (not both)\n")
    empty = todo(db_url, "--user", "nobody@example.com", "chat", "export", "--all")
    assert empty.exit_code == 1


def test_export_all_of_nothing_is_an_empty_array(db_url: str) -> None:
    assert json.loads(ok_run(todo(db_url, "chat", "export", "--all")).stdout) == []


@pytest.mark.network
@pytest.mark.slow
def test_llm_logs_db_imports_once(db_url: str, tmp_path: Path) -> None:
    from tests import llm_logs

    db = llm_logs.upgraded_db(tmp_path)
    first = _import(db_url, str(db))
    assert first["format"] == "llm" and first["messages_added"] > 0
    assert _import(db_url, str(db))["messages_added"] == 0
    shown = _show(db_url, first["items"][0]["id"])
    assert any(m["model"] for m in shown["messages"])
