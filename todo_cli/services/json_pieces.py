"""Parse a large JSON array a piece at a time, so that work on its first elements can start
while the rest is still being parsed (by `todo import`, in its helper thread).

A piece ends at a `}` followed by `,` and `{` (whitespace allowed between, a line break
preferred): the end of one object and the start of the next, if that `}` is not inside a
string or a nested value. The piece is parsed on its own, as `[` + its text + `]`. That parse
succeeds only when the cut really is between two elements of the outer array: a cut inside a
string leaves the string open, and a cut inside a nested value leaves a bracket open, since one
`]` closes one level.
When a piece does not parse, the next cut is tried, a few times; then the rest of the file
is parsed in one go, and if the file is not valid JSON the error comes from parsing the whole
file, with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pydantic_core import from_json

FIRST_BYTES = 128 * 1024  # small, so the database can start early
PIECE_BYTES = 4 * 1024 * 1024
TRIES = 8  # cuts tried per piece before parsing the rest whole
_BETWEEN = re.compile(rb"\}[ \t\r\n]*,[ \t\r\n]*\{")
# Exports put one element per line (`todo export`, Taskwarrior's `task export`), so a cut at a
# line break is tried first: it is not inside a record's nested objects (annotations), where a
# failed parse of the piece would cost as much as a good one.
_AT_LINE = re.compile(rb"\}[ \t\r]*,[ \t\r]*\n[ \t\r\n]*\{")
LINE_WINDOW = 64 * 1024  # how far on to look for one
_SPACE = re.compile(rb"[ \t\r\n]*")


def is_array(raw: bytes) -> bool:
    """Whether the text starts with `[` (after whitespace): only then can it be split."""
    i = _SPACE.match(raw).end()  # type: ignore[union-attr]
    return raw[i : i + 1] == b"["


def pieces(
    raw: bytes,
    parse_whole: Callable[[bytes], Any],
    first: int = FIRST_BYTES,
    size: int = PIECE_BYTES,
) -> Iterator[tuple[list[Any], int]]:
    """The elements of the JSON array `raw`, as one list per piece, in order, each with the
    offset in `raw` where its piece ends (`len(raw)` for the last).

    `parse_whole(raw)` parses the whole text and raises the error to report; it is called
    only when a piece does not parse. If it returns (the two parsers disagree, say on a
    text encoding), its elements that were not yielded yet are yielded.
    """
    start = _SPACE.match(raw).end() + 1  # type: ignore[union-attr]  # just after the `[`
    done, want = 0, first
    while True:
        part, end, start = _next_piece(raw, start, want)
        if part is None:  # malformed here, or text that only the whole-file parser reads
            whole: list[Any] = parse_whole(raw)  # a list: the text starts with `[`
            yield whole[done:], len(raw)
            return
        yield part, end
        if end == len(raw):
            return
        done += len(part)
        want = size


def _next_piece(raw: bytes, start: int, want: int) -> tuple[list[Any] | None, int, int]:
    """The elements from `start` to the first cut at least `want` bytes on, the offset just
    after that cut's `}`, and where the next piece starts (its `{`). A cut that does not parse
    (inside a string, say) is passed over for the next one, a few times, before the rest of
    the file is parsed in one go.

    cache_strings="keys": values are mostly unique (timestamps), and interning each one made
    parsing half as slow again.
    """
    at = start + want
    for _ in range(TRIES):
        cut = _AT_LINE.search(raw, at, at + LINE_WINDOW) or _BETWEEN.search(raw, at)
        if cut is None:
            break
        end = cut.start() + 1
        try:
            return from_json(b"[" + raw[start:end] + b"]", cache_strings="keys"), end, cut.end() - 1
        except ValueError:
            at = cut.end()
    try:
        return from_json(b"[" + raw[start:], cache_strings="keys"), len(raw), len(raw)
    except ValueError:
        return None, len(raw), len(raw)
