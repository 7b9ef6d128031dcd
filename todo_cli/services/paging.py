"""One page of the current user's rows, their total, and whether the user exists: one statement.

    SELECT head.me, head.total, page.*
    FROM (SELECT (SELECT id FROM users WHERE <key>) AS me,
                 (SELECT count(*) FROM t WHERE <filters>) AS total) AS head
    LEFT JOIN (SELECT t.*, row_number() OVER (<order>) AS n FROM t WHERE <filters>
               ORDER BY <order> LIMIT :size OFFSET :skip) AS page ON true
    ORDER BY page.n

There is always one row at least, so an empty page still says how many rows there are and
whether the user exists, without a second round trip. The inner query is planned on its own:
PostgreSQL and SQLite read the user's index in order and stop after one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select, true
from sqlalchemy.orm import aliased

from todo_cli.rules import check_page
from todo_cli.services.work import NoSuchUser, Work, count_of

M = TypeVar("M")


def user_page(
    w: Work,
    model: type[M],
    where: Sequence[Any],
    order: Sequence[Any],
    page: int,
    page_size: int,
    *extra: Any,
    count_where: Sequence[Any] | None = None,
) -> tuple[list[tuple[M, ...]], int]:
    """The rows of `model` (with the `extra` columns) matching `where`, in `order`, for one
    page, and the total (of `count_where`, when `where` picks from candidates). `where` must
    scope the rows by `w.me`."""
    check_page(page, page_size)
    counted = count_of(model, *(where if count_where is None else count_where))
    head = select(w.me.label("me"), counted.label("total")).subquery("head")
    inner = (
        select(model, *extra, func.row_number().over(order_by=list(order)).label("n"))
        .where(*where)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery("page")
    )
    row = aliased(model, inner)
    extras = [inner.c[e.name] for e in extra]
    stmt = (
        select(head.c.me, head.c.total, row, *extras)
        .select_from(head)
        .outerjoin(inner, true())
        .order_by(inner.c.n)
    )
    rows = w.session.execute(stmt).all()
    if rows[0][0] is None:
        raise NoSuchUser(w.user)
    total = int(rows[0][1])
    return [tuple(r[2:]) for r in rows if r[2] is not None], total
