"""`todo chat export` and `todo chat import`: formats, round trips, and all-or-nothing imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbutil import conv_row, counts, query
from tests.helpers import CONV_KEYS, MSG_KEYS, json_of, new_conv, norm, ok_run, say, todo

OPENAI = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Capital of France?", "name": "ada"},
    {"role": "assistant", "content": "Paris.\n\n**Sure**"},
]


def _messages(db_url: str, conv_id: int) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in query(
            db_url,
            "SELECT role, content FROM messages WHERE conversation_id = :c ORDER BY id",
            c=conv_id,
        )
    ]


def test_import_an_openai_list_from_a_file(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(OPENAI), encoding="utf-8")
    r = ok_run(todo(db_url, "chat", "import", str(path)))
    assert r.stdout == "imported conversation 1 with 3 messages\n"
    assert _messages(db_url, 1) == [(m["role"], m["content"]) for m in OPENAI]
    row = conv_row(db_url, 1)
    assert row is not None and (row[2], row[3]) == (None, 3)
    shown = json_of(todo(db_url, "chat", "show", "1", "--json"))
    assert shown["updated_at"] == shown["messages"][-1]["created_at"]
    listed = json_of(todo(db_url, "chat", "list", "--json"))["items"]
    assert [(c["id"], c["preview"]) for c in listed] == [(1, "Paris.\n\n**Sure**")]


def test_import_an_object_with_a_title_from_stdin(db_url: str) -> None:
    doc = {"title": "Geography", "messages": OPENAI[1:]}
    data = json_of(todo(db_url, "chat", "import", "-", "--json", input=json.dumps(doc)))
    assert list(data) == CONV_KEYS
    assert (data["id"], data["title"], data["message_count"]) == (1, "Geography", 2)
    assert _messages(db_url, 1) == [(m["role"], m["content"]) for m in OPENAI[1:]]


def test_a_large_import_is_one_conversation_in_order(db_url: str) -> None:
    msgs = [{"role": "user", "content": f"message {n}"} for n in range(2500)]
    ok_run(todo(db_url, "chat", "import", "-", input=json.dumps(msgs)))
    assert counts(db_url)["messages"] == 2500
    assert _messages(db_url, 1)[-1] == ("user", "message 2499")
    assert json_of(todo(db_url, "chat", "list", "--json"))["items"][0]["message_count"] == 2500


BAD_IMPORTS = [
    ('[{"role": "user", "content": "a"}',
     "not valid JSON: Expecting ',' delimiter at line 1, column 34"),
    ("", "not valid JSON: Expecting value at line 1, column 1"),
    ("[]", "no messages to import"),
    ('{"title": "t", "messages": []}', "no messages to import"),
    ('{"msgs": []}', 'expected a JSON list of {"role", "content"} or an object with "messages"'),
    ('"text"', 'expected a JSON list of {"role", "content"} or an object with "messages"'),
    (json.dumps([*OPENAI[:2], {"role": "robot", "content": "c"}]),
     "message 3 role: Input should be 'user', 'assistant' or 'system'"),
    (json.dumps([*OPENAI[:2], {"role": "tool", "content": "c"}]),
     "message 3 role: Input should be 'user', 'assistant' or 'system'"),
    (json.dumps([OPENAI[0], {"role": "user", "content": "  "}]),
     "message 2 content: message must not be empty"),
    ('[{"role": "user"}]', "message 1 content: Field required"),
    ('[{"role": "user", "content": ["a part"]}]',
     "message 1 content: Input should be a valid string"),
    ("[1]", "message 1: Input should be a valid dictionary or object to extract fields from"),
    (json.dumps({"title": "", "messages": OPENAI}), "title must not be empty"),
    (json.dumps({"title": 5, "messages": OPENAI}), "title: Input should be a valid string"),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "error"), BAD_IMPORTS)
def test_bad_import_is_exit_2_and_writes_nothing(db_url: str, doc: str, error: str) -> None:
    conv = new_conv(db_url, "existing")
    say(db_url, conv, "kept")
    before = counts(db_url)
    r = todo(db_url, "chat", "import", "-", input=doc)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {error}\n")
    assert counts(db_url) == before


def test_one_bad_message_at_the_end_of_a_large_import_writes_nothing(db_url: str) -> None:
    msgs = [{"role": "user", "content": f"message {n}"} for n in range(2500)]
    msgs[-1]["role"] = "robot"
    r = todo(db_url, "chat", "import", "-", input=json.dumps(msgs))
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == "error: message 2500 role: Input should be 'user', 'assistant' or 'system'\n"
    assert counts(db_url)["messages"] == counts(db_url)["conversations"] == 0


def test_import_file_problems_are_exit_2(db_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    r = todo(db_url, "chat", "import", str(missing))
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: no such file: {missing}\n")
    latin = tmp_path / "latin1.json"
    latin.write_bytes(b'[{"role": "user", "content": "caf\xe9"}]')
    r = todo(db_url, "chat", "import", str(latin))
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr.startswith(f"error: cannot read {latin}: 'utf-8' codec can't decode")
    assert counts(db_url)["conversations"] == 0


def test_export_json_is_the_conversation_with_all_messages(db_url: str) -> None:
    conv = new_conv(db_url, 'Trip "Lisbon" 🎉')
    first = say(db_url, conv, "hello\nthere")
    second = say(db_url, conv, "ünïcode ✓", role="assistant")
    r = ok_run(todo(db_url, "chat", "export", str(conv)))
    assert norm(r.stdout) == (
        "{\n"
        f'  "id": {conv},\n'
        '  "title": "Trip \\"Lisbon\\" 🎉",\n'
        '  "message_count": 2,\n'
        '  "created_at": "<TS>",\n'
        '  "updated_at": "<TS>",\n'
        '  "messages": [\n'
        f'    {{"id": {first["id"]}, "conversation_id": {conv}, "role": "user", '
        '"content": "hello\\nthere", "created_at": "<TS>"},\n'
        f'    {{"id": {second["id"]}, "conversation_id": {conv}, "role": "assistant", '
        '"content": "ünïcode ✓", "created_at": "<TS>"}\n'
        "  ]\n"
        "}\n"
    )
    data = json.loads(r.stdout)
    assert list(data) == [*CONV_KEYS, "messages"]
    assert [list(m) for m in data["messages"]] == [MSG_KEYS, MSG_KEYS]
    assert data["messages"] == [first, second]
    assert data["updated_at"] == second["created_at"]


def test_export_of_an_empty_conversation_is_valid_json(db_url: str) -> None:
    conv = new_conv(db_url)
    data = json.loads(ok_run(todo(db_url, "chat", "export", str(conv))).stdout)
    assert (data["title"], data["message_count"], data["messages"]) == (None, 0, [])
    md = ok_run(todo(db_url, "chat", "export", str(conv), "--format", "markdown")).stdout
    assert md == "# Untitled conversation\n"


def test_export_markdown(db_url: str) -> None:
    conv = new_conv(db_url, "Trip")
    say(db_url, conv, "where to?")
    say(db_url, conv, "Lisbon.\n\n- sun\n- food", role="assistant")
    r = ok_run(todo(db_url, "chat", "export", str(conv), "--format", "markdown"))
    assert norm(r.stdout) == (
        "# Trip\n\n## user · <TS>\n\nwhere to?\n\n## assistant · <TS>\n\nLisbon.\n\n- sun\n- food\n"
    )
    r = todo(db_url, "chat", "export", str(conv), "--format", "pdf")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr.startswith("error: Invalid value for '--format': ")


def test_export_then_import_round_trips(db_url: str, tmp_path: Path) -> None:
    conv = new_conv(db_url, "Original")
    for role, text in (("system", "be kind"), ("user", "hi"), ("assistant", "hello!")):
        say(db_url, conv, text, role=role)
    path = tmp_path / "export.json"
    path.write_text(ok_run(todo(db_url, "chat", "export", str(conv))).stdout, encoding="utf-8")
    copy = json_of(todo(db_url, "chat", "import", str(path), "--json"))
    assert (copy["id"], copy["title"], copy["message_count"]) == (conv + 1, "Original", 3)
    assert _messages(db_url, copy["id"]) == _messages(db_url, conv)
