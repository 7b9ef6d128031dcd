"""ChatGPT data export: the branch last seen, every content type, zip, ids, bad records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.chat_formats_helpers import FIXTURES, as_stdin, at, head, read_all, rows, zipped
from todo_cli.chat_formats import detect_format, open_chats
from todo_cli.errors import BadInput

EXPORT = FIXTURES / "chatgpt_conversations.json"
T, T2 = 1716200000.0, 1718000000.0
SINE = "e{:07d}-6666-4a7b-8c9d-0e1f2a3b4c{:02d}".format

TRIP = [
    (
        "aaa2b3c4-1111-4a2b-8c3d-4e5f6a7b8c02",
        "user",
        None,
        at(T + 0.25),
        "What should I pack for Lisbon in May?",
    ),
    # The later of two answers (regenerated): current_node's branch, not the first child.
    (
        "c1d2e3f4-3333-4c4d-8e5f-6a7b8c9d0e04",
        "assistant",
        "gpt-4o",
        at(T + 60.75),
        "Light layers, a light jacket for the evenings, and shoes for the hills.",
    ),
    (
        "aaa3c4d5-4444-4d5e-9f6a-7b8c9d0e1f05",
        "user",
        None,
        at(T + 120.0),
        "[image]\n\nIs this jacket enough?",
    ),
    (
        "d1e2f3a4-5555-4e6f-8a7b-8c9d0e1f2a06",
        "assistant",
        "gpt-4o",
        at(T + 125.5),
        "Yes: that jacket is fine for May evenings.",
    ),
]
SINE_PLOT = [
    (
        SINE(0, 0),
        "user",
        None,
        at(T2),
        "Plot a sine wave, then find out who first tabulated sines.",
    ),
    (
        SINE(1, 1),
        "assistant",
        "o3",
        at(T2 + 1),
        "<thinking>\nPlanning the plot\n\nI will run Python for the plot.\n\n"
        "Then a search\n\nA web search for the history.\n</thinking>",
    ),
    (SINE(2, 2), "assistant", "o3", at(T2 + 2), "<thinking>\nThought for 4 seconds\n</thinking>"),
    (
        SINE(3, 3),
        "assistant",
        "o3",
        at(T2 + 3),
        "import numpy as np\nimport matplotlib.pyplot as plt\nx = np.linspace(0, 6.28, 100)\n"
        "plt.plot(x, np.sin(x))\nplt.savefig('sine.png')",
    ),
    (SINE(4, 4), "tool", "python", at(T2 + 4), "Saved sine.png"),
    (SINE(5, 5), "tool", "python", at(T2 + 5), "[image]"),
    (SINE(6, 6), "assistant", "o3", at(T2 + 6), 'search("first table of sines")'),
    (
        SINE(7, 7),
        "tool",
        "browser",
        at(T2 + 7),
        "# 【0†Sine and cosine - History†en.wikipedia.org】\n"
        "The earliest known table of sines is in the Surya Siddhanta.",
    ),
    (
        SINE(8, 8),
        "tool",
        "browser",
        at(T2 + 8),
        "Aryabhata's table of sines (499 CE) is among the earliest.\n\n"
        "— Sine and cosine https://en.wikipedia.org/wiki/Sine_and_cosine",
    ),
    (SINE(9, 9), "tool", "browser", at(T2 + 9), "tool_error: Timed out fetching the second page."),
    # SINE(10) is an empty browsing display (a spinner): skipped.
    (
        SINE(11, 11),
        "assistant",
        "o3",
        at(T2 + 11),
        "Here is the plot. The earliest tables of sines are Indian: the Surya Siddhanta and "
        "Aryabhata (499 CE).",
    ),
]
GREETING = [
    ("f0000000-7777-4a1b-8c2d-3e4f5a6b7c02", "user", None, None, "hi"),
    ("f0000000-7777-4a1b-8c2d-3e4f5a6b7c03", "assistant", None, None, "Hello! How can I help?"),
]


def test_the_fixture_is_faithful_to_what_it_claims() -> None:
    """Guard the fixture itself: shuffled maps, both root forms, a branch, every content type."""
    convs = json.loads(EXPORT.read_text(encoding="utf-8"))
    trip, sine = convs[0]["mapping"], convs[1]["mapping"]
    assert next(iter(trip.values()))["parent"] is not None  # map order is not tree order
    roots = [n for c in convs for n in c["mapping"].values() if n["parent"] is None]
    assert {("message" in n, n.get("message")) for n in roots} == {(True, None), (False, None)}
    assert any(len(n["children"]) == 2 for n in trip.values())
    kinds = {
        n["message"]["content"]["content_type"]
        for c in convs
        for n in c["mapping"].values()
        if n.get("message")
    }
    assert kinds == {
        "text",
        "multimodal_text",
        "code",
        "execution_output",
        "tether_browsing_display",
        "tether_quote",
        "thoughts",
        "reasoning_recap",
        "system_error",
    }
    assert any(n["message"]["author"]["name"] for n in sine.values() if n.get("message"))
    assert convs[2]["create_time"] is None and convs[2]["update_time"] is None


def test_reads_every_conversation_exactly() -> None:
    convs = read_all(EXPORT)
    assert [head(c) for c in convs] == [
        ("chatgpt", "6650a1b2-7c3d-8e9f-a0b1-c2d3e4f5a601", "Trip to Lisbon", at(T), at(T + 125.5)),
        ("chatgpt", "66a7b8c9-d0e1-f2a3-b4c5-d6e7f8a9b002", "Sine plot", at(T2), at(T2 + 11)),
        ("chatgpt", "66b8c9d0-e1f2-a3b4-c5d6-e7f8a9b0c003", "Greeting", None, None),
    ]
    assert [rows(c) for c in convs] == [TRIP, SINE_PLOT, GREETING]
    assert all(
        m.created_at is None or m.created_at.tzinfo is not None for c in convs for m in c.messages
    )


def test_the_zip_stdin_and_a_second_read_give_the_same_records(tmp_path: Path) -> None:
    data = EXPORT.read_bytes()
    archive = zipped(
        tmp_path,
        {
            "user.json": b"{}",
            "chat.html": b"<html></html>",
            "conversations.json": data,
            "message_feedback.json": b"[]",
        },
    )
    first = read_all(EXPORT)
    assert read_all(EXPORT) == first
    assert read_all(archive) == first
    assert read_all(as_stdin(data)) == first
    assert read_all(as_stdin(archive.read_bytes())) == first
    assert detect_format(archive) == "chatgpt"
    assert read_all(EXPORT, "chatgpt") == first


def test_progress_counts_bytes_of_the_export(tmp_path: Path) -> None:
    with open_chats(EXPORT) as chats:
        assert chats.format == "chatgpt"
        done, total = chats.progress()
        assert total == EXPORT.stat().st_size and done <= total
        list(chats)
        assert chats.progress() == (total, total)


def _export(tmp_path: Path, convs: list[Any]) -> Path:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(convs), encoding="utf-8")
    return path


def _fixture() -> list[dict[str, Any]]:
    return json.loads(EXPORT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_without_current_node_the_latest_leaf_is_taken(tmp_path: Path) -> None:
    convs = _fixture()[:1]
    del convs[0]["current_node"]
    assert rows(read_all(_export(tmp_path, convs))[0]) == TRIP


def test_a_single_conversation_object_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(_fixture()[2]), encoding="utf-8")
    assert [rows(c) for c in read_all(path)] == [GREETING]


def _node(conv: dict[str, Any], node_id: str) -> dict[str, Any]:
    return conv["mapping"][node_id]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: _node(c[1], SINE(3, 3))["message"]["author"].update(role="critic"),
            'conversation 2 ("Sine plot"), message 4 (node e0000003-6666-4a7b-8c9d-0e1f2a3b4c03): '
            "author.role 'critic' is not one of user, assistant, system, developer, tool",
        ),
        (
            lambda c: c[0].update(current_node="nope"),
            'conversation 1 ("Trip to Lisbon"): "current_node" \'nope\' is not a node of "mapping"',
        ),
        (
            lambda c: c[2].update(mapping=[]),
            'conversation 3 ("Greeting"): "mapping" must be an object of message nodes',
        ),
        (
            lambda c: c[2].pop("conversation_id") and c[2].pop("id"),
            'conversation 3 ("Greeting"): has no "conversation_id" or "id"',
        ),
        (
            lambda c: c[0].update(create_time="yesterday"),
            'conversation 1 ("Trip to Lisbon"): create_time must be a number of seconds or null, '
            "not 'yesterday'",
        ),
        (
            lambda c: _node(c[2], "f0000000-7777-4a1b-8c2d-3e4f5a6b7c01").update(
                parent="f0000000-7777-4a1b-8c2d-3e4f5a6b7c03"
            ),
            'conversation 3 ("Greeting"): node f0000000-7777-4a1b-8c2d-3e4f5a6b7c03 is its own '
            "ancestor (a loop in the tree)",
        ),
        (
            lambda c: _node(c[2], "f0000000-7777-4a1b-8c2d-3e4f5a6b7c03")["message"].update(
                content="Hello"
            ),
            'conversation 3 ("Greeting"), message 2 (node f0000000-7777-4a1b-8c2d-3e4f5a6b7c03): '
            '"content" must be an object with a content_type',
        ),
        (
            lambda c: c.append(["not", "a", "conversation"]),
            "conversation 4: expected a conversation object, got list",
        ),
    ],
)
def test_one_bad_record_rejects_the_file_naming_where(
    tmp_path: Path, change: Any, message: str
) -> None:
    convs = _fixture()
    change(convs)
    with pytest.raises(BadInput) as err:
        read_all(_export(tmp_path, convs))
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_unknown_content_types_keep_their_text_or_name(tmp_path: Path) -> None:
    convs = _fixture()[2:]
    message = _node(convs[0], "f0000000-7777-4a1b-8c2d-3e4f5a6b7c03")["message"]
    message["content"] = {"content_type": "computer_output", "text": "Clicked the button"}
    user = _node(convs[0], "f0000000-7777-4a1b-8c2d-3e4f5a6b7c02")["message"]
    user["content"] = {
        "content_type": "multimodal_text",
        "parts": [
            {"content_type": "audio_transcription", "text": "hi there", "direction": "in"},
            {"content_type": "audio_asset_pointer", "asset_pointer": "sediment://file_1"},
            {"content_type": "real_time_user_audio_video_asset_pointer"},
        ],
    }
    got = read_all(_export(tmp_path, convs))[0]
    assert [m.content for m in got.messages] == [
        "hi there\n\n[audio]\n\n[real time user audio video]",
        "Clicked the button",
    ]
