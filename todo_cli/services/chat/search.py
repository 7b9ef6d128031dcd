"""`chat search`: ranked full-text search over the current user's messages.

PostgreSQL matches the stored tsvector through its GIN index and ranks with ts_rank; SQLite
matches the FTS5 table and ranks with bm25. Snippets are made only for the rows of the page.
The syntax (phrases, -exclusion, prefix*, OR) is parsed once, in `query.py`, and each term goes
to the database as data, split into words by the database's own tokenizer, so both backends
find the same messages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text

from todo_cli.columns import UTCDateTime
from todo_cli.models import SEARCH_CONFIG, SEARCH_MAX_CHARS
from todo_cli.rules import check_page
from todo_cli.schemas import HIT_END, HIT_START, MessagePublic, Page, SearchHit
from todo_cli.services.chat.query import fts5_match, has_word, parse, pg_tsquery
from todo_cli.services.work import Work, unit_of_work

# Only what ranking needs is carried through the sort of all matches (id, time, rank); the
# page's rows are read in full and get their headline afterwards. On a word in 2% of a million
# messages the sort of 20,000 narrow rows, not 20,000 messages, is what the search costs.
_PG = f"""
WITH hits AS (
    SELECT m.id, m.created_at, ts_rank(m.search_vector, q.query) AS rank,
           count(*) OVER () AS total
    FROM messages m, (SELECT {{query}}) AS q(query)
    WHERE m.search_vector @@ q.query AND m.user_id = ({{me}}){{filters}}
    ORDER BY rank DESC, m.created_at DESC, m.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT m.id, m.conversation_id, m.role, m.content, m.created_at, h.total, c.title, m.model,
       ts_headline('{SEARCH_CONFIG}', left(m.content, {SEARCH_MAX_CHARS}), q.query,
                   'StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8, ShortWord=0,
                    MaxFragments=1')
FROM hits h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id,
     (SELECT {{query}}) AS q(query)
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
    WHERE m.user_id = ({{me}}){{filters}}
    ORDER BY x.rank, m.created_at DESC, x.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT m.id, m.conversation_id, m.role, m.content, m.created_at, h.total, c.title, m.model,
       (SELECT snippet(messages_fts, 0, '{HIT_START}', '{HIT_END}', '…', 16)
        FROM messages_fts WHERE messages_fts MATCH :words AND rowid = h.id)
FROM hits h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id
ORDER BY h.rank, h.created_at DESC, h.id DESC
"""


def _ends(snippet: str, content: str) -> str:
    """PostgreSQL's headline as FTS5 makes its snippet: `…` where the message goes on, and
    the punctuation that ends it kept (ts_headline stops at the last word: "visa?" -> "visa")."""
    plain = snippet.replace(HIT_START, "").replace(HIT_END, "")
    at = content.find(plain)
    if not plain or at < 0:
        return snippet
    before, after = content[:at], content[at + len(plain) :]
    head = "…" if has_word(before) else before.lstrip()
    tail = "…" if has_word(after) else after.rstrip()
    return head + snippet + tail


@unit_of_work(one_statement=True)
def search(
    w: Work,
    query: str,
    page: int = 1,
    page_size: int = 20,
    *,
    role: str | None = None,
    conversation: int | None = None,
    since: datetime | None = None,
) -> Page[SearchHit]:
    check_page(page, page_size)
    parsed = parse(query)
    me, params = w.user.lookup_sql()
    params_: dict[str, object] = {**params, "limit": page_size, "offset": (page - 1) * page_size}
    filters = ""
    if role is not None:
        filters += " AND m.role = :role"
        params_["role"] = role
    if conversation is not None:
        filters += " AND m.conversation_id = :conv"
        params_["conv"] = conversation
    if since is not None:
        filters += " AND m.created_at >= :since"
        params_["since"] = since
    if w.dialect == "postgresql":
        tsquery, words_ = pg_tsquery(parsed)
        sql = _PG.replace("{query}", tsquery)
        params_.update(words_)
    else:
        sql, params_["words"] = _SQLITE, fts5_match(parsed)
    # Typed result columns, so timestamps come back as aware UTC datetimes on both backends.
    stmt = text(sql.replace("{me}", me).replace("{filters}", filters)).columns(
        created_at=UTCDateTime()
    )
    if since is not None:
        stmt = stmt.bindparams(bindparam("since", type_=UTCDateTime()))
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
                model=r[7],
                created_at=r[4],
            ),
            conversation_title=r[6],
            snippet=_ends(r[8] or "", r[3]) if w.dialect == "postgresql" else r[8] or "",
        )
        for r in rows
    ]
    total = int(rows[0][5]) if rows else 0
    return Page(hits, total, page, page_size)
