"""The `chat search` syntax, parsed once and turned into each backend's query.

    lisbon train          both words, in any order (terms are ANDed)
    "night train"         a phrase: the words next to each other, in this order
    lisbo*                a word starting with `lisbo` (on a phrase: its last word)
    sunscreen -passport   without `passport` (also -"a phrase", -pass*)
    lisbon OR porto       either (OR, in capitals, between two terms; a OR b OR c too)

Everything else is text: a term is a phrase of the words the database's own tokenizer finds
in it (FTS5 strings, phraseto_tsquery), so punctuation, lower-case `or`, AND, NEAR, `^`,
parentheses and quotes inside a word are never query syntax. A term without a letter or digit
(`-`, `&&`, an emoji) is ignored; a search must keep at least one term that is not excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from todo_cli.errors import BadInput
from todo_cli.models import SEARCH_CONFIG, SEARCH_PUNCTUATION

MAX_TERMS = 100  # each is a tsquery of its own on PostgreSQL; a search needs far fewer
_PUNCT_TO_SPACE = str.maketrans(SEARCH_PUNCTUATION, " " * len(SEARCH_PUNCTUATION))


def has_word(piece: str) -> bool:
    """A letter or a decimal digit: what both engines index. Not `\\w`, which also takes `_`
    and numeric signs like ² and ½ that PostgreSQL's parser skips."""
    return any(c.isalpha() or c.isdecimal() for c in piece)


@dataclass(frozen=True)
class Term:
    text: str  # a phrase of one or more words, as the user typed it
    prefix: bool = False  # its last word is a prefix


@dataclass
class Query:
    groups: list[list[Term]] = field(default_factory=list)  # ANDed; the terms of each ORed
    excluded: list[Term] = field(default_factory=list)

    def terms(self) -> list[Term]:
        return [t for g in self.groups for t in g] + self.excluded


@dataclass(frozen=True)
class _Piece:
    text: str
    quoted: bool
    negated: bool


def _pieces(text: str) -> list[_Piece]:
    """Whitespace-separated pieces; a `"` opening a piece (after an optional `-`) runs to
    the next `"` (or the end), spaces and all."""
    out: list[_Piece] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        start = i + 1 if negated else i
        if text[start] == '"':
            end = text.find('"', start + 1)
            end = n if end < 0 else end
            body, i = text[start + 1 : end], end + 1
            # A `*` right after the closing quote makes the phrase's last word a prefix.
            if i < n and text[i] == "*":
                body, i = body + "*", i + 1
            out.append(_Piece(body, True, negated))
            continue
        end = start
        while end < n and not text[end].isspace():
            end += 1
        out.append(_Piece(text[start:end], False, negated))
        i = end
    return out


def _term(piece: _Piece) -> Term | None:
    body = piece.text
    prefix = body.endswith("*") and has_word(body.rstrip("*"))
    body = body.rstrip("*") if prefix else body
    return Term(body, prefix) if has_word(body) else None


def parse(text: str) -> Query:
    """The user's text as a Query; BadInput when nothing is left to search for."""
    query = Query()
    pieces = _pieces(text)
    pending_or = after_term = False  # an OR seen; the last piece was a term to OR with
    for k, piece in enumerate(pieces):
        is_or = piece.text == "OR" and not piece.quoted and not piece.negated
        if is_or and after_term and k + 1 < len(pieces) and not pieces[k + 1].negated:
            pending_or, after_term = True, False
            continue
        term = _term(piece)
        if term is None:
            continue
        if piece.negated:
            query.excluded.append(term)
        elif pending_or:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        pending_or, after_term = False, not piece.negated
    if not query.groups:
        what = "besides what is excluded" if query.excluded else "give at least one word"
        raise BadInput(f"nothing to search for in {text!r}: {what}")
    if len(query.terms()) > MAX_TERMS:
        raise BadInput(f"too many words to search for: {len(query.terms())} (at most {MAX_TERMS})")
    return query


def fts5_match(query: Query) -> str:
    """FTS5: each term a string (quotes doubled), `*` after it for a prefix."""

    def one(t: Term) -> str:
        return '"' + t.text.replace('"', '""') + '"' + (" *" if t.prefix else "")

    def group(g: list[Term]) -> str:
        return one(g[0]) if len(g) == 1 else "(" + " OR ".join(map(one, g)) + ")"

    match = "(" + " AND ".join(map(group, query.groups)) + ")"
    return match + "".join(f" NOT {one(t)}" for t in query.excluded)


def pg_tsquery(query: Query) -> tuple[str, dict[str, str]]:
    """PostgreSQL: each term a phraseto_tsquery of bound text (punctuation made spaces, as
    the stored vector had it); a prefix marks the phrase's last lexeme `:*`."""
    params: dict[str, str] = {}

    def one(t: Term) -> str:
        key = f"w{len(params)}"
        params[key] = t.text.translate(_PUNCT_TO_SPACE)
        q = f"phraseto_tsquery('{SEARCH_CONFIG}', :{key})"
        if t.prefix:  # `'a' <-> 'b'` becomes `'a' <-> 'b':*`; an empty query stays empty
            q = f"(CASE WHEN {q}::text = '' THEN {q} ELSE ({q}::text || ':*')::tsquery END)"
        return q

    def group(g: list[Term]) -> str:
        return one(g[0]) if len(g) == 1 else "(" + " || ".join(map(one, g)) + ")"

    sql = " && ".join(map(group, query.groups))
    sql += "".join(f" && !!{one(t)}" for t in query.excluded)
    return sql, params
