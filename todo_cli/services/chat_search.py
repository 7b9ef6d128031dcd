"""`chat search`: ranked full-text search over the current user's messages.

PostgreSQL matches the stored tsvector through its GIN index and ranks with ts_rank; SQLite
matches the FTS5 table and ranks with bm25. Either way the user's text is split into words and
each word is searched as a plain term (FTS5 phrase strings, plainto_tsquery), so quotes,
punctuation and operators like AND, NEAR or * are never query syntax. Snippets are made only
for the rows of the page.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from todo_cli.errors import BadInput
from todo_cli.models import SEARCH_CONFIG, SEARCH_MAX_CHARS
from todo_cli.schemas import HIT_END, HIT_START, MessagePublic, Page, SearchHit
from todo_cli.services.chat import check_page
from todo_cli.services.retry import retrying
from todo_cli.services.runtime import Runtime
from todo_cli.services.users import current_user_id
from todo_cli.types import UTCDateTime

_WORD = re.compile(r"\w+")

_PG = f"""
WITH hits AS (
    SELECT m.id, m.conversation_id, m.role, m.content, m.created_at,
           ts_rank(m.search_vector, q.query) AS rank, q.query,
           count(*) OVER () AS total
    FROM messages m, plainto_tsquery('{SEARCH_CONFIG}', :words) AS q(query)
    WHERE m.search_vector @@ q.query AND m.user_id = :uid
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

_SQLITE = f"""
WITH hits AS (
    SELECT m.id, m.conversation_id, m.role, m.content, m.created_at,
           bm25(messages_fts) AS rank,
           snippet(messages_fts, 0, '{HIT_START}', '{HIT_END}', '…', 16) AS snip
    FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
    WHERE messages_fts MATCH :words AND m.user_id = :uid
    ORDER BY rank, m.created_at DESC, m.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT h.id, h.conversation_id, h.role, h.content, h.created_at,
       (SELECT count(*) FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
        WHERE messages_fts MATCH :words AND m.user_id = :uid),  -- FTS5 refuses count() OVER
       c.title, h.snip
FROM hits h JOIN conversations c ON c.id = h.conversation_id
ORDER BY h.rank, h.created_at DESC, h.id DESC
"""


def words(query: str) -> list[str]:
    """The searchable words of the user's text; anything else is ignored."""
    found = _WORD.findall(query)
    if not found:
        raise BadInput(f"nothing to search for in {query!r}: give at least one word")
    return found


@retrying
def search(rt: Runtime, query: str, page: int = 1, page_size: int = 20) -> Page[SearchHit]:
    check_page(page, page_size)
    terms = words(query)
    with rt.session(single=True) as s:
        uid = current_user_id(rt, s)
        if s.get_bind().dialect.name == "postgresql":
            sql, match = _PG, " ".join(terms)
        else:
            # Every word becomes an FTS5 string ("...", quotes doubled): implicit AND of terms.
            sql, match = _SQLITE, " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        params = {"words": match, "uid": uid, "limit": page_size, "offset": (page - 1) * page_size}
        # Typed result columns, so timestamps come back as aware UTC datetimes on both backends.
        stmt = text(sql).columns(created_at=UTCDateTime())
        rows = s.execute(stmt, params).all()
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
            snippet=r[7] or "",
        )
        for r in rows
    ]
    total = int(rows[0][5]) if rows else 0
    return Page(hits, total, page, page_size)
