"""OpenAI messages (array, object, JSONL) and our own export: exact records and stable ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.chat_formats_helpers import FIXTURES, as_stdin, head, iso, read_all, rows
from todo_cli.errors import BadInput


def test_an_array_with_tool_calls_and_null_content() -> None:
    (conv,) = read_all(FIXTURES / "openai_array.json")
    assert conv.format == "openai" and conv.title is None and conv.created_at is None
    assert rows(conv) == [
        ("1", "system", None, None, "You answer with the weather."),
        ("2", "user", None, None, "Weather in Oslo?"),
        ("3", "assistant", None, None, '[tool call: get_weather] {"city": "Oslo"}'),
        ("4", "tool", None, None, '{"temp_c": 4}'),
        ("5", "assistant", None, None, "It is 4 °C in Oslo."),
    ]


def test_an_object_with_a_title_developer_role_and_parts() -> None:
    (conv,) = read_all(FIXTURES / "openai_object.json")
    assert conv.title == "Geography"
    assert rows(conv) == [
        ("1", "developer", None, None, "Answer in one word."),
        ("2", "user", None, None, "Which city is this?\n\n[image]\n\n[file: map.pdf]"),
        ("3", "assistant", None, None, "Paris."),
    ]


def test_jsonl_one_conversation_a_line() -> None:
    convs = read_all(FIXTURES / "openai.jsonl")
    assert [[(m.role, m.content) for m in c.messages] for c in convs] == [
        [
            ("system", "Marv is a sarcastic chatbot."),
            ("user", "What's the capital of France?"),
            ("assistant", "Paris, as if everyone doesn't know that already."),
        ],
        [
            ("system", "Marv is a sarcastic chatbot."),
            ("user", "Who wrote 'Romeo and Juliet'?"),
            ("assistant", "Oh, just some guy named William Shakespeare."),
        ],
        [("user", "What's the capital of France?"), ("assistant", "Paris.")],
        [
            ("system", "Marv is a sarcastic chatbot."),
            ("user", "What's the capital of France?"),
            ("assistant", "Paris. Again."),
        ],
    ]
    ids = [c.source_id for c in convs]
    # Lines 1 and 4 open the same way: one id, told apart by their order in the file.
    assert ids[3] == ids[0] + "#2" and len(set(ids)) == 4
    assert read_all(FIXTURES / "openai.jsonl") == convs
    assert read_all(as_stdin((FIXTURES / "openai.jsonl").read_bytes())) == convs


def test_an_array_of_conversations_pretty_printed(tmp_path: Path) -> None:
    lines = (FIXTURES / "openai.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "many.json"
    path.write_text(json.dumps([json.loads(line) for line in lines], indent=2), encoding="utf-8")
    assert read_all(path) == read_all(FIXTURES / "openai.jsonl")


def test_a_longer_copy_of_a_conversation_keeps_its_id(tmp_path: Path) -> None:
    messages = json.loads((FIXTURES / "openai_array.json").read_text(encoding="utf-8"))
    short = tmp_path / "short.json"
    short.write_text(json.dumps(messages[:2]), encoding="utf-8")
    longer = tmp_path / "longer.json"
    longer.write_text(json.dumps(messages), encoding="utf-8")
    (a,), (b,) = read_all(short), read_all(longer)
    assert a.source_id == b.source_id
    assert [m.source_id for m in b.messages][: len(a.messages)] == [m.source_id for m in a.messages]
    retitled = tmp_path / "titled.json"
    retitled.write_text(json.dumps({"title": "Oslo", "messages": messages}), encoding="utf-8")
    assert read_all(retitled)[0].source_id != b.source_id


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            [{"role": "wizard", "content": "hi"}],
            "conversation 1, message 1: role 'wizard' is not one of user, assistant, system, "
            "developer, tool",
        ),
        (
            {"title": "T", "messages": [{"role": "user", "content": "a"}, {"role": "user"}]},
            'conversation 1 ("T"), message 2: has no "content"',
        ),
        (
            {"messages": [{"role": "user", "content": 5}]},
            "conversation 1, message 1: content must be a string, a list of parts, or null",
        ),
        (
            {"messages": [{"role": "assistant", "content": None}]},
            "conversation 1: has no messages with content",
        ),
    ],
)
def test_bad_openai_records(tmp_path: Path, doc: Any, message: str) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BadInput) as err:
        read_all(path)
    assert str(err.value) == message


def test_a_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
    path.write_text(f"{good}\n{good}\n{{oops\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"data.jsonl: line 3: not valid JSON"):
        read_all(path)


OURS = {
    "id": 7,
    "title": "Trip",
    "message_count": 2,
    "source": None,
    "created_at": "2026-11-25T10:00:00+00:00",
    "updated_at": "2026-11-25T10:05:00+00:00",
    "messages": [
        {
            "id": 31,
            "conversation_id": 7,
            "role": "user",
            "content": "Pack?",
            "model": None,
            "created_at": "2026-11-25T10:00:00+00:00",
        },
        {
            "id": 32,
            "conversation_id": 7,
            "role": "assistant",
            "content": "Layers.",
            "model": "gpt-4o",
            "created_at": "2026-11-25T10:05:00+00:00",
        },
    ],
}


def test_our_export_of_one_conversation(tmp_path: Path) -> None:
    path = tmp_path / "trip.json"
    path.write_text(json.dumps(OURS, indent=2), encoding="utf-8")
    (conv,) = read_all(path)
    assert head(conv) == (
        "todo",
        "7@2026-11-25T10:00:00+00:00",
        "Trip",
        iso("2026-11-25T10:00:00Z"),
        iso("2026-11-25T10:05:00Z"),
    )
    assert rows(conv) == [
        ("31", "user", None, iso("2026-11-25T10:00:00Z"), "Pack?"),
        ("32", "assistant", "gpt-4o", iso("2026-11-25T10:05:00Z"), "Layers."),
    ]


def test_our_export_all_keeps_a_source_and_message_source_ids(tmp_path: Path) -> None:
    imported = dict(OURS, id=8, source={"format": "chatgpt", "id": "6650a1b2"})
    imported["messages"] = [dict(OURS["messages"][0], id=40, source_id="node-1")]  # type: ignore[call-overload]
    path = tmp_path / "all.json"
    path.write_text(json.dumps([OURS, imported]), encoding="utf-8")
    convs = read_all(path, "todo")
    assert [(c.format, c.source_id) for c in convs] == [
        ("todo", "7@2026-11-25T10:00:00+00:00"),
        ("chatgpt", "6650a1b2"),
    ]
    assert [m.source_id for m in convs[1].messages] == ["node-1"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"source": {"format": "myspace", "id": "1"}},
            """conversation 1 ("Trip"): "source" {'format': 'myspace', 'id': '1'} needs a known """
            '"format" and an "id"',
        ),
        (
            {"messages": [{"id": 1, "role": "user", "content": "  "}]},
            'conversation 1 ("Trip"), message 1: content must be non-empty text',
        ),
        (
            {"created_at": 5},
            'conversation 1 ("Trip"): created_at must be an ISO 8601 string or null, not 5',
        ),
    ],
)
def test_bad_records_of_ours(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = tmp_path / "trip.json"
    path.write_text(json.dumps(dict(OURS, **change)), encoding="utf-8")
    with pytest.raises(BadInput) as err:
        read_all(path)
    assert str(err.value) == message
