"""Detection by content, the --format check, and files the importer cannot read: one line each."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.chat_formats_helpers import FIXTURES, as_stdin, read_all, zipped
from todo_cli.chat_formats import detect_format, open_chats
from todo_cli.errors import BadInput

ACCEPTED = "accepted: a ChatGPT or Claude data export"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("chatgpt_conversations.json", "chatgpt"),
        ("claude_conversations.json", "claude"),
        ("openai_array.json", "openai"),
        ("openai_object.json", "openai"),
        ("openai.jsonl", "openai"),
    ],
)
def test_each_fixture_is_detected(name: str, fmt: str) -> None:
    assert detect_format(FIXTURES / name) == fmt
    assert detect_format(as_stdin((FIXTURES / name).read_bytes())) == fmt


def test_ours_and_llm_json_are_detected(tmp_path: Path) -> None:
    ours = tmp_path / "ours.json"
    ours.write_text(
        json.dumps([{"id": 1, "title": None, "message_count": 0, "source": None, "messages": []}]),
        encoding="utf-8",
    )
    assert detect_format(ours) == "todo"
    logs = tmp_path / "logs.json"
    logs.write_text(json.dumps([{"id": "01h", "model": "echo", "prompt": "hi"}]), encoding="utf-8")
    assert detect_format(logs) == "llm"


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "openai_array.json").read_bytes())
    assert len(read_all(path)[0].messages) == 5


def test_a_wrong_format_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as err:
        read_all(FIXTURES / "claude_conversations.json", "chatgpt")
    assert (
        str(err.value)
        == f"{FIXTURES / 'claude_conversations.json'}: this is a Claude export, not chatgpt"
    )
    with pytest.raises(BadInput, match="unknown format 'word'; choose one of auto, chatgpt"):
        read_all(FIXTURES / "openai.jsonl", "word")


def _raises(data: object) -> str:
    with pytest.raises(BadInput) as err:
        read_all(data)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_unreadable_inputs_say_what_they_are_in_one_line(tmp_path: Path) -> None:
    export = (FIXTURES / "chatgpt_conversations.json").read_bytes()
    cases: dict[str, bytes] = {
        "empty.json": b"",
        "truncated.json": export[: len(export) // 2],
        "latin1.json": json.dumps([{"role": "user", "content": "caf\u00e9"}])
        .encode()
        .replace(b"caf\\u00e9", b"caf\xe9"),
        "utf16.json": '[{"role": "user", "content": "hi"}]'.encode("utf-16"),
        "notes.txt": b"just some notes\n",
        "image.png": b"\x89PNG\r\n\x1a\n" + bytes(range(50)),
        "empty_array.json": b"[]",
        "other.json": b'[{"foo": 1}]',
        "broken.json": b'[{"role": "user", "content": "hi"},,]',
    }
    got = {}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        got[name] = _raises(path).removeprefix(f"{path}: ")
    assert got == {
        "empty.json": f"the file is empty; {ACCEPTED} (conversations.json or the export's .zip),"
        " an llm logs.db or `llm logs --json` output, OpenAI messages (JSON or "
        "JSONL), or `todo chat export --format json`",
        "truncated.json": "the JSON ends too early (a truncated file?)",
        "latin1.json": "not UTF-8 text (byte 34 cannot be read)",
        "utf16.json": "the file is UTF-16 or UTF-32 text; save it as UTF-8",
        "notes.txt": got["notes.txt"],
        "image.png": got["image.png"],
        "empty_array.json": "an empty JSON array, nothing to import",
        "other.json": got["other.json"],
        "broken.json": "not valid JSON (parse error: unallowed token at this point in JSON text)",
    }
    assert got["notes.txt"].startswith("text, not JSON, a zip or a SQLite file; " + ACCEPTED)
    assert got["image.png"].startswith("binary data, not JSON, a zip or a SQLite file; ")
    assert got["other.json"].startswith("JSON of an unknown shape; " + ACCEPTED)


def test_a_big_file_cut_short_and_bad_bytes_late_in_it(tmp_path: Path) -> None:
    """Past the head that detection reads, the streaming parser reports the same way."""
    convs = json.loads((FIXTURES / "chatgpt_conversations.json").read_text(encoding="utf-8"))
    data = json.dumps(convs * 300, ensure_ascii=False).encode()
    assert len(data) > 2 << 20
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) - 1000])
    assert _raises(cut) == f"{cut}: the JSON ends too early (a truncated file?)"
    late = tmp_path / "late.json"
    cut_at = data.index(b"Hello! How can I help?", 3 << 20)
    late.write_bytes(data[:cut_at] + b"Hell\xff" + data[cut_at + 5 :])
    assert _raises(late) == f"{late}: not UTF-8 text"
    bad = tmp_path / "bad.json"
    bad.write_bytes(data[:cut_at] + b'", }' + data[cut_at:])
    assert _raises(bad).startswith(f"{bad}: not valid JSON after conversation ")


def test_zips_and_databases_that_are_not_exports(tmp_path: Path) -> None:
    no_conv = zipped(tmp_path, {"user.json": b"{}"}, "other.zip")
    assert _raises(no_conv) == (
        f"{no_conv}: a zip archive without conversations.json; expected "
        "a ChatGPT or Claude data export"
    )
    good = zipped(
        tmp_path,
        {"conversations.json": (FIXTURES / "claude_conversations.json").read_bytes()},
        "good.zip",
    )
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(good.read_bytes()[:200])
    assert _raises(damaged) == f"{damaged}: not a readable zip archive (truncated or damaged?)"
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table notes (id integer)")
    assert _raises(db) == f"{db}: a SQLite database, but not an llm logs.db (no responses table)"
    assert _raises(tmp_path / "missing.json") == f"no such file: {tmp_path / 'missing.json'}"
    assert _raises(tmp_path) == f"{tmp_path} is a directory, not a file"


def test_a_synthetic_export_parses_fast(tmp_path: Path) -> None:
    """A 2.8 MB export of 192 conversations (the issue's example) well under a second."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "chat_export_gen", Path(__file__).parents[1] / "bench" / "chat_export_gen.py"
    )
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    path = tmp_path / "conversations.json"
    with path.open("wb") as out:
        count, messages = gen.write(out, 2_800_000, seed=7, conversations=192)
    start = time.perf_counter()
    with open_chats(path) as chats:
        got = sum(len(c.messages) for c in chats)
    elapsed = time.perf_counter() - start
    assert got == messages and count == 192
    assert elapsed < 0.5, f"{elapsed:.2f} s for 2.8 MB"
