"""Claude data export: blocks over text, the latest branch, tool results as tool messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.chat_formats_helpers import FIXTURES, head, iso, read_all, rows, zipped
from todo_cli.chat_formats import detect_format
from todo_cli.errors import BadInput

EXPORT = FIXTURES / "claude_conversations.json"
M = "2c3d4e5f-000{}-4a6b-8c7d-8e9f0a1b2c0{}".format
B = "3d4e5f60-000{}-4b7c-8d9e-0f1a2b3c4d0{}".format

SOURDOUGH = [
    (M(1, 1), "user", None, iso("2024-03-02T08:15:00.5Z"), "How often do I feed a starter?"),
    # The blocks, not `text` (which runs the thinking and the reply together).
    (
        M(2, 2),
        "assistant",
        None,
        iso("2024-03-02T08:15:02Z"),
        "<thinking>\nThe user keeps it at room temperature.\n</thinking>\n\n"
        "Once a day at room temperature.",
    ),
    (
        M(3, 3),
        "user",
        None,
        iso("2024-03-02T08:18:00Z"),
        "Here are my notes.\n\n[attachment: notes.txt]\nFeed 1:1:1 at 9am\n\n"
        "[attachment: starter.jpg]",
    ),
    (
        M(4, 4),
        "assistant",
        None,
        iso("2024-03-02T08:20:00Z"),
        "Let me check a ratio.\n\n"
        '[tool call: web_search] {"query": "sourdough starter feeding ratio"}',
    ),
    (
        M(4, 4) + "#2",
        "tool",
        "web_search",
        iso("2024-03-02T08:20:00Z"),
        "1:1:1 by weight is the common ratio.",
    ),
    (
        M(4, 4) + "#3",
        "assistant",
        None,
        iso("2024-03-02T08:20:00Z"),
        "Your 1:1:1 ratio is the usual one.",
    ),
]
COLOURS = [
    (B(1, 1), "user", None, iso("2025-06-01T10:00:00Z"), "Name a colour."),
    # "Blue." was the first answer; "Green." the retry that the rest of the chat follows.
    (B(3, 3), "assistant", None, iso("2025-06-01T10:01:00Z"), "Green."),
    (B(4, 4), "user", None, iso("2025-06-01T10:02:00Z"), "Another?"),
    (B(5, 5), "assistant", None, iso("2025-06-01T10:02:05Z"), "Red."),
]
HI = [
    ("4e5f6071-0001-4c8d-9e0f-1a2b3c4d5e01", "user", None, iso("2023-11-20T19:00:00Z"), "Say hi."),
    ("4e5f6071-0002-4c8d-9e0f-1a2b3c4d5e02", "assistant", None, iso("2023-11-20T19:00:09Z"), "Hi!"),
]


def _fixture() -> list[dict[str, Any]]:
    return json.loads(EXPORT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_fixture_has_both_forms_and_every_block_type() -> None:
    convs = _fixture()
    assert not any("parent_message_uuid" in m for m in convs[0]["chat_messages"])
    assert all("parent_message_uuid" in m for m in convs[1]["chat_messages"])
    kinds = {b["type"] for c in convs for m in c["chat_messages"] for b in m["content"]}
    assert kinds == {"text", "thinking", "tool_use", "tool_result"}


def test_reads_every_conversation_exactly() -> None:
    convs = read_all(EXPORT)
    assert [head(c) for c in convs] == [
        (
            "claude",
            "1b2c3d4e-0001-4f5a-8b6c-7d8e9f0a1b01",
            "Sourdough starter",
            iso("2024-03-02T08:15:00.123456Z"),
            iso("2024-03-02T08:20:31Z"),
        ),
        (
            "claude",
            "1b2c3d4e-0002-4f5a-8b6c-7d8e9f0a1b02",
            "Colours",
            iso("2025-06-01T10:00:00Z"),
            iso("2025-06-01T10:02:05Z"),
        ),
        (
            "claude",
            "1b2c3d4e-0003-4f5a-8b6c-7d8e9f0a1b03",
            None,
            iso("2023-11-20T19:00:00Z"),
            iso("2023-11-20T19:00:09Z"),
        ),
    ]
    assert [rows(c) for c in convs] == [SOURDOUGH, COLOURS, HI]


def test_zip_and_a_second_read_are_identical(tmp_path: Path) -> None:
    archive = zipped(
        tmp_path,
        {"users.json": b"[]", "projects.json": b"[]", "conversations.json": EXPORT.read_bytes()},
        "claude.zip",
    )
    first = read_all(EXPORT)
    assert read_all(archive) == first == read_all(EXPORT, "claude")
    assert detect_format(archive) == "claude"


def test_current_leaf_when_given_beats_the_latest(tmp_path: Path) -> None:
    convs = _fixture()[1:2]
    convs[0]["current_leaf_message_uuid"] = B(2, 2)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(convs), encoding="utf-8")
    assert rows(read_all(path)[0]) == [
        COLOURS[0],
        (B(2, 2), "assistant", None, iso("2025-06-01T10:00:05Z"), "Blue."),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c[0]["chat_messages"][2].update(sender="robot"),
            "conversation 1 (\"Sourdough starter\"), message 3: sender 'robot' is not human or "
            "assistant",
        ),
        (lambda c: c[1].pop("uuid"), 'conversation 2 ("Colours"): has no "uuid"'),
        (
            lambda c: c[1]["chat_messages"][0].update(parent_message_uuid=B(5, 5)),
            'conversation 2 ("Colours"): parent_message_uuid links make a loop',
        ),
        (
            lambda c: c[2]["chat_messages"][1].update(created_at="soon"),
            "conversation 3, message 2: created_at 'soon' is not an ISO 8601 time",
        ),
        (
            lambda c: c[0].update(chat_messages={}),
            'conversation 1 ("Sourdough starter"): "chat_messages" must be a list',
        ),
    ],
)
def test_one_bad_record_rejects_the_file_naming_where(
    tmp_path: Path, change: Any, message: str
) -> None:
    convs = _fixture()
    change(convs)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(convs), encoding="utf-8")
    with pytest.raises(BadInput) as err:
        read_all(path)
    assert str(err.value) == message
