"""Parse a large JSON array a piece at a time, so that work on its first elements can start
while the rest is still being parsed (by `todo import`, in its helper thread).

A piece ends at a `}` followed by `,` and `{` (whitespace allowed between): the end of one
object and the start of the next, if that `}` is not inside a string or a nested value. The
piece is parsed on its own, as `[` + its text + `]`. That parse succeeds only when the cut
really is between two elements of the outer array: a cut inside a string leaves the string
open, and a cut inside a nested value leaves a bracket open, since one `]` closes one level.
When a parse fails, the rest of the file is parsed in one go instead, and if the file is not
valid JSON the error comes from parsing the whole file, with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pydantic_core import from_json

FIRST_BYTES = 128 * 1024  # small, so the database can start early
PIECE_BYTES = 4 * 1024 * 1024
_BETWEEN = re.compile(rb"\}[ \t\r\n]*,[ \t\r\n]*\{")
_SPACE = re.compile(rb"[ \t\r\n]*")


def is_array(raw: bytes) -> bool:
    """Whether the text starts with `[` (after whitespace): only then can it be split."""
    return raw[_SPACE.match(raw).end() :][:1] == b"["  # type: ignore[union-attr]


def pieces(
    raw: bytes, parse_whole: Callable[[bytes], Any], first: int = FIRST_BYTES
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
        cut = _BETWEEN.search(raw, start + want)
        try:
            if cut is None:
                part = from_json(b"[" + raw[start:])
            else:
                part = from_json(b"[" + raw[start : cut.start() + 1] + b"]")
        except ValueError:
            whole: list[Any] = parse_whole(raw)  # a list: the text starts with `[`
            yield whole[done:], len(raw)
            return
        if cut is None:
            yield part, len(raw)
            return
        yield part, cut.start() + 1
        done += len(part)
        start, want = cut.end() - 1, PIECE_BYTES  # the next piece starts at the `{`
