"""`todo chat search`: ranked, AND-ed, highlighted, scoped to the user, never a syntax error;
phrases, -exclusion, prefix* and OR, with the same results on both backends (a property test
against a model of the syntax), and the --role, --conversation and --since filters."""

from __future__ import annotations

import json
import uuid
from contextlib import closing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dbutil import counts, query
from tests.helpers import (
    MSG_KEYS,
    add_user,
    backend,
    json_of,
    new_conv,
    norm,
    ok_run,
    proc,
    say,
    todo,
)
from todo_cli.schemas import ConversationCreate, MessageCreate, UserCreate, validate
from todo_cli.services import users
from todo_cli.services.chat import conversations as chat
from todo_cli.services.chat import search as chat_search
from todo_cli.services.runtime import Runtime

CORPUS = [
    "cats and dogs",
    "cats or dogs, not both",
    "near the river",
    "price is 5 dollars",
    "C++ and C# are languages",
    "naïve café 🎉 日本語テキスト",
    "snake_case names",
]


def _found(db_url: str, text: str, user: str | None = None) -> list[str]:
    data = json_of(todo(db_url, "chat", "search", "--json", "--", text, user=user))
    assert data["total"] == len(data["items"])
    return sorted(hit["content"] for hit in data["items"])


def _corpus(db_url: str) -> None:
    conv = new_conv(db_url, "corpus")
    for text in CORPUS:
        say(db_url, conv, text)


def test_json_shape_and_snippet(db_url: str) -> None:
    conv = new_conv(db_url, "Trip")
    msg = say(db_url, conv, "pack the passport and the visa papers", role="assistant")
    data = json_of(todo(db_url, "chat", "search", "Passport", "--json"))
    assert list(data) == ["items", "total", "page", "page_size"]
    assert (data["total"], data["page"], data["page_size"]) == (1, 1, 20)
    assert data["items"] == [
        {
            **msg,
            "conversation_title": "Trip",
            "snippet": "pack the **passport** and the visa papers",
        }
    ]
    assert list(data["items"][0]) == [*MSG_KEYS, "conversation_title", "snippet"]


def test_snippets_keep_the_end_of_a_message_and_mark_a_cut(db_url: str) -> None:
    conv = new_conv(db_url, "Trip")
    say(db_url, conv, "Do I need a passport visa?")
    found = json_of(todo(db_url, "chat", "search", "passport", "--json"))["items"]
    assert [h["snippet"] for h in found] == ["Do I need a **passport** visa?"]
    long = " ".join(f"word{i}" for i in range(60))
    say(db_url, conv, f"{long} marmalade {long}.")
    [hit] = json_of(todo(db_url, "chat", "search", "marmalade", "--json"))["items"]
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    assert "**marmalade**" in hit["snippet"]


def test_text_output(db_url: str) -> None:
    assert ok_run(todo(db_url, "chat", "search", "anything")).stdout == "no messages match\n"
    conv = new_conv(db_url)
    msg = say(db_url, conv, "visa office opens monday")
    assert norm(ok_run(todo(db_url, "chat", "search", "visa")).stdout) == (
        f"#{conv} (untitled)  user  YYYY-MM-DD HH:MM  message {msg['id']}\n"
        "visa office opens monday\n\n"
        "page 1 of 1 · 1 match\n"
    )


def test_ranking_more_occurrences_first_then_newest(db_url: str) -> None:
    conv = new_conv(db_url, "r")
    twice = say(db_url, conv, "apple apple cherry")  # older, so only rank can put it first
    once = say(db_url, conv, "apple banana cherry")
    same = say(db_url, conv, "apple banana cherry")
    ids = [h["id"] for h in json_of(todo(db_url, "chat", "search", "apple", "--json"))["items"]]
    assert ids == [twice["id"], same["id"], once["id"]]


def test_all_words_must_match_in_any_order(db_url: str) -> None:
    _corpus(db_url)
    assert _found(db_url, "dogs cats") == ["cats and dogs", "cats or dogs, not both"]
    assert _found(db_url, "cats both") == ["cats or dogs, not both"]
    assert _found(db_url, "cats river") == []
    assert _found(db_url, "CATS") == ["cats and dogs", "cats or dogs, not both"]


def test_paging(db_url: str) -> None:
    conv = new_conv(db_url)
    for n in range(3):
        say(db_url, conv, f"hit number {n}")
    data = json_of(
        todo(db_url, "chat", "search", "hit", "--page", "2", "--page-size", "2", "--json")
    )
    assert ([h["content"] for h in data["items"]], data["total"], data["page"]) == (
        ["hit number 0"],
        3,
        2,
    )


CATS = ["cats and dogs", "cats or dogs, not both"]
PLAIN_TEXT = [
    ('"cats"', CATS),
    ("'cats'", CATS),
    ('cats"dogs', []),  # one piece: its words must be next to each other
    ("dogs cats", CATS),  # separate pieces: any order
    ("cats AND dogs", ["cats and dogs"]),
    ("cats OR dogs", CATS),  # either
    ("cats or dogs", ["cats or dogs, not both"]),  # lower-case `or` is a word
    ("NOT both", ["cats or dogs, not both"]),
    ("NEAR river", ["near the river"]),
    ("NEAR(cats dogs)", []),
    ("content:cats", []),
    ("cats:dogs", []),
    ("dogs, not", ["cats or dogs, not both"]),
    ("cat*", CATS),
    ("ca*s", []),
    ("cats*", CATS),
    ("^cats", CATS),
    ("(cats)", CATS),
    ("+cats +dogs", CATS),
    ("cats & dogs", CATS),
    ("cats | dogs", CATS),
    ("!cats", CATS),
    ("cats <-> dogs", CATS),
    ("cats\\", CATS),
    ("C++", ["C++ and C# are languages"]),
    ("C#", ["C++ and C# are languages"]),
    ("price:5", []),
    ("price is 5", ["price is 5 dollars"]),
    ("café 🎉", ["naïve café 🎉 日本語テキスト"]),
    ("日本語テキスト", ["naïve café 🎉 日本語テキスト"]),
    ("snake_case", ["snake_case names"]),
    ("'; DROP TABLE messages; --", []),
    ("cats') OR 1=1 --", CATS),  # `cats` OR `1 1`
]


@pytest.mark.parametrize(("text", "expected"), PLAIN_TEXT)
def test_operators_and_punctuation_are_plain_text(
    db_url: str, text: str, expected: list[str]
) -> None:
    _corpus(db_url)
    assert _found(db_url, text) == expected
    assert counts(db_url)["messages"] == len(CORPUS)


@pytest.mark.parametrize("text", ["", "   ", '"', "'", "*", "^", "()", ":", "-", "+", "&", "|",
                                  "!", "<->", "\\", "🎉", '""', "; --", "…",
                                  "_", "__ --", "²", "½ ² _"])  # fmt: skip
def test_text_without_words_is_exit_2(db_url: str, text: str) -> None:
    _corpus(db_url)
    r = todo(db_url, "chat", "search", text)
    assert (r.exit_code, r.stdout) == (2, "")
    message = " ".join(f"nothing to search for in {text!r}: give at least one word".split())
    assert r.stderr == f"error: {message}\n"


def test_operators_as_a_real_process_never_trace(db_url: str) -> None:
    _corpus(db_url)
    for text, found in [
        ('"unbalanced', []),
        ("cats AND (dogs OR", []),
        ("NEAR(", ["near the river"]),
        ("cats:dogs:", []),
        ("cats: dogs:", CATS),
        ("'; DROP TABLE messages; --", []),
    ]:
        r = proc("--database-url", db_url, "chat", "search", text, "--json")
        assert (r.exit_code, r.stderr) == (0, ""), (text, r)
        assert sorted(h["content"] for h in json.loads(r.stdout)["items"]) == found
    assert counts(db_url)["messages"] == len(CORPUS)


def test_only_the_current_users_messages(db_url: str) -> None:
    add_user(db_url, "bob@x.io", "bob")
    mine = new_conv(db_url, "mine")
    say(db_url, mine, "shared secret word")
    theirs = new_conv(db_url, "theirs", user="bob")
    say(db_url, theirs, "shared secret word from bob", user="bob")
    assert _found(db_url, "secret") == ["shared secret word"]
    assert _found(db_url, "secret", user="bob") == ["shared secret word from bob"]
    assert _found(db_url, "bob") == []


def test_deleted_conversations_and_users_leave_the_index(db_url: str) -> None:
    add_user(db_url, "bob@x.io", "bob")
    gone, kept = new_conv(db_url, "gone"), new_conv(db_url, "kept")
    say(db_url, gone, "ephemeral note")
    say(db_url, kept, "ephemeral but kept")
    say(db_url, new_conv(db_url, "b", user="bob"), "ephemeral bob", user="bob")
    ok_run(todo(db_url, "chat", "delete", str(gone), "--yes"))
    assert _found(db_url, "ephemeral") == ["ephemeral but kept"]
    assert _found(db_url, "note") == []
    ok_run(todo(db_url, "user", "delete", "bob", "--yes"))
    if backend(db_url) == "sqlite":  # the FTS5 table itself, kept in step by triggers
        rows = query(db_url, "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'ephemeral'")
        assert rows == query(db_url, "SELECT id FROM messages")


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("see report.pdf today", "report.pdf"),
        ("see report.pdf today", "pdf"),
        ("mail ada@example.com today", "example"),
        ("mail ada@example.com today", "ada@example.com"),
        ("open https://example.com/path?q=1 today", "path"),
        ("upgrade to v1.2 today", "v1.2"),
        ("run snake_case-tool now", "tool"),
        ("run snake_case-tool now", "case-tool"),
        # FTS5 keeps private-use characters and combining marks inside its tokens.
        ("glyph 0\ue000 here", "0\ue000"),
        ("accent e\u0301 here", "e\u0301"),
        # PostgreSQL's parser would drop `<b c>` as an HTML tag, words and all.
        ("a<b c>d and <i>x</i>", "a<b"),
        ("a<b c>d and <i>x</i>", "c>d"),
        ("a<b c>d and <i>x</i>", "i"),
    ],
)
def test_words_inside_file_names_emails_and_urls_are_found(
    db_url: str, text: str, word: str
) -> None:
    say(db_url, new_conv(db_url), text)
    assert _found(db_url, word) == [text]


def test_case_folds_but_accents_count_on_both_backends(db_url: str) -> None:
    conv = new_conv(db_url)
    say(db_url, conv, "un café noir")
    say(db_url, conv, "un cafe noir")
    assert _found(db_url, "CAFÉ") == ["un café noir"]
    assert _found(db_url, "Cafe") == ["un cafe noir"]


def test_query_punctuation_is_what_the_migrations_index() -> None:
    """The query side turns the same characters into spaces as the stored tsvector did."""
    import runpy
    from pathlib import Path

    from todo_cli.models import SEARCH_PUNCTUATION

    path = Path(__file__).parent.parent / "migrations/versions/0004_search_without_tags.py"
    assert runpy.run_path(str(path))["PUNCTUATION"] == SEARCH_PUNCTUATION


SYNTAX = [
    ('"cats and"', ["cats and dogs"]),
    ('"and cats"', []),
    ("cats -both", ["cats and dogs"]),
    ('cats -"not both"', ["cats and dogs"]),
    ('cats -"both not"', CATS),
    ("cats -bo*", ["cats and dogs"]),
    ("riv*", ["near the river"]),
    ("RIV*", ["near the river"]),
    ('"the riv"*', ["near the river"]),
    ('"riv the"*', []),
    ("river OR languages", ["C++ and C# are languages", "near the river"]),
    (
        "river OR languages OR snake*",
        ["C++ and C# are languages", "near the river", "snake_case names"],
    ),
    ("dogs river OR both", ["cats or dogs, not both"]),
    ("OR cats", ["cats or dogs, not both"]),  # OR with nothing before it is the word `or`
    ("cats OR", ["cats or dogs, not both"]),
    ("cats OR -dogs", []),  # not between two terms: the word `or` (and no dogs)
    ('"unterminated phrase', []),
    ('"near the', ["near the river"]),
]


@pytest.mark.parametrize(("text", "expected"), SYNTAX)
def test_phrases_exclusion_prefix_and_or(db_url: str, text: str, expected: list[str]) -> None:
    _corpus(db_url)
    assert _found(db_url, text) == expected


def test_the_issue_examples(db_url: str) -> None:
    conv = new_conv(db_url, "trip")
    say(db_url, conv, "Lisbon in May: pack sunscreen")
    say(db_url, conv, "sunscreen and the passport")
    assert _found(db_url, "lisbo*") == ["Lisbon in May: pack sunscreen"]
    assert _found(db_url, "sunscreen -passport") == ["Lisbon in May: pack sunscreen"]


@pytest.mark.parametrize("text", ["-cats", "-cats -dogs", '-"cats and"', "-cat*"])
def test_only_exclusions_is_exit_2(db_url: str, text: str) -> None:
    _corpus(db_url)
    r = todo(db_url, "chat", "search", "--", text)
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"error: nothing to search for in {text!r}: besides what is excluded\n"


def test_filters_role_conversation_since(db_url: str) -> None:
    a, b = new_conv(db_url, "a"), new_conv(db_url, "b")
    say(db_url, a, "needle from user")
    say(db_url, a, "needle from assistant", role="assistant")
    say(db_url, b, "needle in b", role="tool")

    def found(*args: str) -> list[str]:
        data = json_of(todo(db_url, "chat", "search", "needle", "--json", *args))
        return sorted(h["content"] for h in data["items"])

    assert found("--role", "assistant") == ["needle from assistant"]
    assert found("--role", "tool") == ["needle in b"]
    assert found("--conversation", str(b)) == ["needle in b"]
    assert found("--conversation", str(a), "--role", "user") == ["needle from user"]
    assert len(found("--since", "-1d")) == 3
    assert found("--since", "tomorrow") == []
    r = todo(db_url, "chat", "search", "needle", "--role", "robot")
    assert r.exit_code == 2


# The property: for any corpus and any query in the syntax, what the database finds is what a
# model of the syntax (written out here, independently of query.py) finds. It runs on each
# backend, so both find the same messages.
VOCAB = ["lisbon", "lisboa", "lis", "porto", "night", "train", "trains", "sun", "passport"]
_word = st.sampled_from(VOCAB)
_message = st.lists(_word, min_size=1, max_size=6)
_term = st.tuples(st.lists(_word, min_size=1, max_size=2), st.booleans())  # words, prefix


def _render(term: tuple[list[str], bool], quote: bool) -> str:
    words, prefix = term
    text = " ".join(words)
    if len(words) > 1 or quote:
        return f'"{text}"' + ("*" if prefix else "")
    return text + ("*" if prefix else "")


def _matches(tokens: list[str], term: tuple[list[str], bool]) -> bool:
    words, prefix = term
    n = len(words)
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if window[:-1] == words[:-1] and (
            window[-1].startswith(words[-1]) if prefix else window[-1] == words[-1]
        ):
            return True
    return False


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    corpus=st.lists(_message, min_size=1, max_size=8),
    groups=st.lists(st.lists(_term, min_size=1, max_size=3), min_size=1, max_size=3),
    excluded=st.lists(_term, max_size=2),
    quote=st.booleans(),
    upper=st.booleans(),
)
def test_search_syntax_matches_its_model(
    db_url: str,
    corpus: list[list[str]],
    groups: list[list[tuple[list[str], bool]]],
    excluded: list[tuple[list[str], bool]],
    quote: bool,
    upper: bool,
) -> None:
    user = f"u{uuid.uuid4().hex}@example.com"
    with closing(Runtime(db_url)) as rt:
        users.add_user(rt, validate(UserCreate, {"email": user}))
    with closing(Runtime(db_url, user)) as rt:
        conv = chat.new(rt, validate(ConversationCreate, {"title": "p"}))
        texts = [
            " ".join(m).upper() if upper and i % 2 else ", ".join(m) for i, m in enumerate(corpus)
        ]
        ids = [chat.say(rt, conv.id, validate(MessageCreate, {"content": t})).id for t in texts]
        query = " ".join(
            " OR ".join(_render(t, quote) for t in group) for group in groups
        ) + "".join(f" -{_render(t, quote)}" for t in excluded)
        expected = sorted(
            i
            for i, words in zip(ids, corpus, strict=True)
            if all(any(_matches(words, t) for t in g) for g in groups)
            and not any(_matches(words, t) for t in excluded)
        )
        hits = chat_search.search(rt, query, 1, 500)
        assert sorted(h.message.id for h in hits.items) == expected, query
        assert hits.total == len(expected)
