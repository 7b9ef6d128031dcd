"""`json_pieces`: a JSON array parsed a piece at a time gives exactly what parsing it whole
gives, whatever its strings hold, and a malformed file fails with the whole file's error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import from_json

from todo_cli.errors import BadInput
from todo_cli.services import json_pieces
from todo_cli.services.task_io import load, parse


def split(raw: bytes, first: int = 1, size: int = 1) -> list[list[Any]]:
    return [p for p, _ in json_pieces.pieces(raw, parse, first=first, size=size)]


def joined(raw: bytes, first: int = 1, size: int = 1) -> list[Any]:
    return [x for piece in split(raw, first, size) for x in piece]


TRICKY = [
    {"title": "a}, {b", "tags": ["}, {", "},{"]},
    {"title": 'quote \\"}, {\\" and \\\\'},
    {"annotations": [{"description": "x"}, {"description": "y"}], "n": {"deep": [{}, {}]}},
    {},
    {"title": "ünïcode ✓ \u2028", "x": [1, 2.5, None, True]},
]


@pytest.mark.parametrize(
    "separators", [(", ", ": "), (",", ":"), (" ,\n\t", " : ")], ids=["dumps", "compact", "spaces"]
)
@pytest.mark.parametrize("indent", [None, 2])
def test_every_cut_gives_the_same_elements(separators: tuple[str, str], indent: int | None) -> None:
    raw = json.dumps(TRICKY * 3, separators=separators, indent=indent).encode()
    assert joined(raw) == json.loads(raw)
    assert len(split(raw)) > 1  # it did cut


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["title", "tags", "a"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(alphabet='{}[], "\\:ab'),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3)
                ),
                max_leaves=6,
            ),
        ),
        max_size=12,
    ),
    st.integers(1, 200),
    st.integers(1, 200),
)
def test_pieces_match_the_whole_parse(records: list[Any], first: int, size: int) -> None:
    raw = json.dumps(records).encode()
    assert joined(raw, first, size) == records


def test_the_end_offsets_cover_the_file() -> None:
    raw = b"  " + json.dumps(TRICKY).encode() + b"\n"
    ends = [end for _, end in json_pieces.pieces(raw, parse, first=1, size=1)]
    assert ends == sorted(ends) and ends[-1] == len(raw)
    assert all(raw[e - 1 : e] == b"}" for e in ends[:-1])


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"title": "a"}, {"title": "b"}, {"title": }]',
        b'[{"title": "a"},\n {"title": "b"}] trailing',
        b'[{"title": "a"}, {"title": "b"}, {"title": "c"}',
        b'[{"title": "a"}, {"title": "b\n"}]',
    ],
)
def test_malformed_json_fails_with_the_whole_files_error(raw: bytes) -> None:
    with pytest.raises(BadInput) as whole:
        parse(raw)
    with pytest.raises(BadInput) as pieced:
        joined(raw)
    assert str(pieced.value) == str(whole.value)
    assert "line" in str(whole.value)


def test_a_piece_the_fast_parser_rejects_is_taken_from_the_whole_parse() -> None:
    # pydantic's parser refuses a lone surrogate escape, json.loads takes it: the pieces
    # before it come from the first, the rest from the second, none twice or missing.
    raw = b'[{"a": 1}, {"b": 2}, {"c": "\\ud800"}, {"d": 4}]'
    assert len(split(raw)) == 3
    assert joined(raw) == json.loads(raw)


def test_one_element_per_line_is_cut_at_line_breaks_not_inside_annotations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes = [{"entry": "20261125T100000Z", "description": f"note {i}"} for i in range(3)]
    records = [{"description": f"task {i}", "annotations": notes} for i in range(200)]
    lines = (json.dumps(r, separators=(",", ":")) for r in records)
    raw = ("[\n" + ",\n".join(lines) + "\n]").encode()
    failed: list[int] = []

    def counting(text: bytes, **kw: Any) -> Any:
        try:
            return from_json(text, **kw)
        except ValueError:
            failed.append(len(text))  # a cut inside a record: parsed for nothing
            raise

    monkeypatch.setattr(json_pieces, "from_json", counting)
    pieces = list(json_pieces.pieces(raw, parse, first=1, size=500))
    assert [x for p, _ in pieces for x in p] == records and len(pieces) > 10
    assert failed == []


def test_a_string_full_of_cuts_is_passed_over_then_parsed_whole() -> None:
    records = [{"title": "a"}, {"title": "}, {" * 20}, {"title": "b"}, {"title": "c"}]
    raw = json.dumps(records).encode()
    assert joined(raw) == records


def test_load_estimates_the_size_until_the_last_piece() -> None:
    raw = json.dumps([{"title": f"task {i}"} for i in range(20_000)]).encode()
    file = load(raw)
    assert 0 < file.size() != 20_000  # only the first piece is parsed yet: an estimate
    assert abs(file.size() - 20_000) < 2_000
    assert sum(len(p) for p in file.pieces()) == 20_000
    assert file.size() == 20_000
    assert sum(len(p) for p in file.pieces()) == 20_000  # again, as a retry would
    assert file.size() == 20_000


@pytest.mark.parametrize("raw", [b"[]", b"  [ ]  ", b'[{"title": "x"}]', b"[1, 2]"])
def test_small_arrays(raw: bytes) -> None:
    assert joined(raw) == json.loads(raw)
