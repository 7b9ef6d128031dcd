"""A write made of several SQL statements, in one round trip to PostgreSQL and atomically.

Changing a task also writes its journal entry, may make the next instance of a recurrence and
moves the urgency of the tasks it blocks: several statements, each seeing what the one before
did. On PostgreSQL they go to the server as one message, which the server runs as one implicit
transaction (so a one-statement unit of work stays one round trip and all or nothing, and it
works through a transaction-mode pooler); on SQLite, which is local, they run one by one in the
unit's transaction. The last statement's rows are the result.

The statements are SQL text with `:name` parameters shared by all of them; `Fragments` holds
the few expressions that differ between the two backends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Row

from todo_cli.columns import JsonValue, UTCDateTime
from todo_cli.services.work import Work

# Parameters given as datetimes or JSON go through the same types as the columns.
_TYPED = {"now": UTCDateTime(), "due": UTCDateTime(), "wait": UTCDateTime()}


def run(
    w: Work,
    statements: Sequence[str],
    params: dict[str, Any],
    result_types: dict[str, Any] | None = None,
) -> list[Row[Any]]:
    """Run `statements` in order; the rows of the last one (its columns typed by
    `result_types`, so timestamps and JSON come back as Python values on both backends)."""
    binds = [
        bindparam(name, type_=_type(name, value), expanding=isinstance(value, list | tuple))
        for name, value in params.items()
    ]

    def statement(sql: str, last: bool) -> Any:
        used = set(re.findall(r"(?<!:):(\w+)", sql))
        stmt = text(sql).bindparams(*(b for b in binds if b.key in used))
        if last and result_types and sql.lstrip()[:6].upper() == "SELECT":
            return stmt.columns(**result_types)
        return stmt

    def rows(result: Any) -> list[Row[Any]]:
        return list(result.all()) if result.returns_rows else []

    if w.dialect == "postgresql":
        return rows(w.session.execute(statement(";\n".join(statements), True), params))
    *before, last = statements
    for sql in before:
        w.session.execute(statement(sql, False), params)
    return rows(w.session.execute(statement(last, True), params))


def _type(name: str, value: Any) -> Any:
    if name in _TYPED or name.endswith("_at"):
        return UTCDateTime()
    if isinstance(value, dict):
        return JsonValue()
    return None


@dataclass(frozen=True)
class Fragments:
    """The SQL that is spelled differently by the two backends."""

    dialect: str

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def false(self) -> str:
        return "false" if self.pg else "0"

    @property
    def true(self) -> str:
        return "true" if self.pg else "1"

    @property
    def new_uuid(self) -> str:
        return "gen_random_uuid()::text" if self.pg else "todo_uuid()"

    def json_object(self, pairs: dict[str, str]) -> str:
        fn = "jsonb_build_object" if self.pg else "json_object"
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"{fn}({args})"

    def json_value(self, column: str) -> str:
        """A JSON column as a JSON value inside a built object (SQLite stores it as text)."""
        return column if self.pg else f"json({column})"

    def json_agg(self, value: str, rows: str, order: str) -> str:
        """`(SELECT <a JSON array of value, in order> FROM rows)`, `[]` when there are none.

        `rows` is `FROM`'s text with its `WHERE`; `value` may only use the columns of `rows`'
        first table under their own names (SQLite aggregates over an ordered subquery)."""
        if self.pg:
            return f"(SELECT coalesce(jsonb_agg({value} ORDER BY {order}), '[]') FROM {rows})"
        return (
            f"(SELECT coalesce(json_group_array({value}), json('[]'))"
            f" FROM (SELECT * FROM {rows} ORDER BY {order}))"
        )

    def next_due(self, first: str, period: str, n: str) -> str:
        return f"todo_next_due({first}, {period}, {n})"
