"""`chat search`: ranked full-text search over the current user's messages.

PostgreSQL matches the stored tsvector through its GIN index and ranks with ts_rank; SQLite
matches the FTS5 table and ranks with bm25. Snippets are made only for the rows of the page.

The user's text is split at whitespace only, and every piece with a letter or digit in it must
match, as a phrase: `report.pdf` finds "report.pdf" but not "pdf ... report". Each piece goes to
the database as data (an FTS5 string, phraseto_tsquery), whose own tokenizer splits it exactly as
it split the messages, so quotes, punctuation and operators like AND, NEAR or * are never query
syntax, and any whitespace-separated piece of a message finds that message on both backends.
(Splitting here with a regex instead would disagree with FTS5, which keeps private-use
characters, combining marks and unassigned code points inside its tokens.)
"""

from __future__ import annotations

from sqlalchemy import text

from todo_cli.columns import UTCDateTime
from todo_cli.errors import BadInput
from todo_cli.models import SEARCH_CONFIG, SEARCH_MAX_CHARS, SEARCH_PUNCTUATION
from todo_cli.rules import check_page
from todo_cli.schemas import HIT_END, HIT_START, MessagePublic, Page, SearchHit
from todo_cli.services.work import Work, unit_of_work

MAX_TERMS = 100  # each is a tsquery of its own on PostgreSQL; a search needs far fewer
_PUNCT_TO_SPACE = str.maketrans(SEARCH_PUNCTUATION, " " * len(SEARCH_PUNCTUATION))

_PG = f"""
WITH hits AS (
    SELECT m.id, m.conversation_id, m.role, m.content, m.created_at,
           ts_rank(m.search_vector, q.query) AS rank, q.query,
           count(*) OVER () AS total
    FROM messages m, (SELECT {{query}}) AS q(query)
    WHERE m.search_vector @@ q.query AND m.user_id = ({{me}})
    ORDER BY rank DESC, m.created_at DESC, m.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT h.id, h.conversation_id, h.role, h.content, h.created_at, h.total, c.title,
       ts_headline('{SEARCH_CONFIG}', left(h.content, {SEARCH_MAX_CHARS}), h.query,
                   'StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=0,
                    MaxFragments=1')
FROM hits h JOIN conversations c ON c.id = h.conversation_id
ORDER BY h.rank DESC, h.created_at DESC, h.id DESC
"""

# The matches are ranked first, and only the page's rows are read in full and get a snippet:
# on 20,000 matches that halves the time of computing snippets and carrying content along.
# (FTS5 refuses count() OVER on itself, hence the materialized list of matches.)
_SQLITE = f"""
WITH matched AS MATERIALIZED (
    SELECT rowid AS id, bm25(messages_fts) AS rank
    FROM messages_fts WHERE messages_fts MATCH :words
),
hits AS (
    SELECT x.id, x.rank, m.created_at, count(*) OVER () AS total
    FROM matched x JOIN messages m ON m.id = x.id
    WHERE m.user_id = ({{me}})
    ORDER BY x.rank, m.created_at DESC, x.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT m.id, m.conversation_id, m.role, m.content, m.created_at, h.total, c.title,
       (SELECT snippet(messages_fts, 0, '{HIT_START}', '{HIT_END}', '…', 16)
        FROM messages_fts WHERE messages_fts MATCH :words AND rowid = h.id)
FROM hits h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id
ORDER BY h.rank, h.created_at DESC, h.id DESC
"""


def _has_word(piece: str) -> bool:
    """A letter or a decimal digit: what both engines index. Not `\\w`, which also takes `_`
    and numeric signs like ² and ½ that PostgreSQL's parser skips."""
    return any(c.isalpha() or c.isdecimal() for c in piece)


def words(query: str) -> list[str]:
    """The whitespace-separated pieces of the user's text that hold a letter or digit.

    Pieces without one (`-`, `&&`, an emoji) are ignored; text with none at all is BadInput.
    """
    found = list(dict.fromkeys(w for w in query.split() if _has_word(w)))
    if not found:
        raise BadInput(f"nothing to search for in {query!r}: give at least one word")
    if len(found) > MAX_TERMS:
        raise BadInput(f"too many words to search for: {len(found)} (at most {MAX_TERMS})")
    return found


def _pg_sql(terms: list[str]) -> tuple[str, dict[str, str]]:
    """One phraseto_tsquery per term, ANDed; the text goes in as bound parameters."""
    params = {f"w{i}": t.translate(_PUNCT_TO_SPACE) for i, t in enumerate(terms)}
    query = " && ".join(f"phraseto_tsquery('{SEARCH_CONFIG}', :{k})" for k in params)
    return _PG.replace("{query}", query), params


def _fts5_match(terms: list[str]) -> str:
    """Every term an FTS5 string ("...", quotes doubled): a phrase each, implicitly ANDed."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _ends(snippet: str, content: str) -> str:
    """PostgreSQL's headline as FTS5 makes its snippet: `…` where the message goes on, and
    the punctuation that ends it kept (ts_headline stops at the last word: "visa?" -> "visa")."""
    plain = snippet.replace(HIT_START, "").replace(HIT_END, "")
    at = content.find(plain)
    if not plain or at < 0:
        return snippet
    before, after = content[:at], content[at + len(plain) :]
    head = "…" if _has_word(before) else before.lstrip()
    tail = "…" if _has_word(after) else after.rstrip()
    return head + snippet + tail


@unit_of_work(one_statement=True)
def search(w: Work, query: str, page: int = 1, page_size: int = 20) -> Page[SearchHit]:
    check_page(page, page_size)
    terms = words(query)
    me, params = w.user.lookup_sql()
    params_: dict[str, object] = {**params, "limit": page_size, "offset": (page - 1) * page_size}
    if w.dialect == "postgresql":
        sql, words_ = _pg_sql(terms)
        params_.update(words_)
    else:
        sql, params_["words"] = _SQLITE, _fts5_match(terms)
    # Typed result columns, so timestamps come back as aware UTC datetimes on both backends.
    stmt = text(sql.replace("{me}", me)).columns(created_at=UTCDateTime())
    rows = w.session.execute(stmt, params_).all()
    if not rows:
        w.check_user()
    hits = [
        SearchHit(
            message=MessagePublic(
                id=r[0],
                conversation_id=r[1],
                role=r[2],
                content=r[3],
                created_at=r[4],
            ),
            conversation_title=r[6],
            snippet=_ends(r[7] or "", r[3]) if w.dialect == "postgresql" else r[7] or "",
        )
        for r in rows
    ]
    total = int(rows[0][5]) if rows else 0
    return Page(hits, total, page, page_size)
