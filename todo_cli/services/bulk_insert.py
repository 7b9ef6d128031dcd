"""Rows in bulk: multi-row INSERTs on SQLite, one streaming COPY per table on PostgreSQL."""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

BATCH = 2000  # rows per statement (SQLite) or per piece of the COPY (PostgreSQL)


# --- SQLite: multi-row INSERTs ---------------------------------------------------------


def rows_per_statement(dbapi: Any, width: int) -> int:
    """Rows per INSERT: `BATCH`, unless the SQLite library allows fewer parameters (999
    before 3.32)."""
    limit: int = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(BATCH, limit // width))


def insert(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    advance: Callable[[int], None] | None,
) -> None:
    per = rows_per_statement(conn.connection.dbapi_connection, len(columns))
    for i in range(0, len(rows), per):
        some = rows[i : i + per]
        conn.exec_driver_sql(_values_sql(table, columns, len(some)), tuple(itertools.chain(*some)))
        if advance is not None:
            advance(len(some))


@functools.lru_cache(maxsize=16)
def _values_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    """An INSERT of `rows` rows. Plain `?` only: SQLite looks up each numbered `?NNN` in a
    list, which made compiling a 2,000-row statement take half a second."""
    row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"


# --- PostgreSQL: COPY -------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if type(value) is str:
        # COPY's text format escapes these four. Four str.replace calls (a memchr each, and
        # no copy when there is nothing to replace) rather than one str.translate, which looks
        # each character up in a dict: 16 us against 0.9 us for a 366-character journal
        # image, 1.5 s of a 100,000-task import on PostgreSQL.
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return str(value)


def _copy_text(
    batches: Iterable[list[Any]], advance: Callable[[int], None] | None
) -> Iterator[str]:
    for batch in batches:
        yield "".join("\t".join(map(_cell, r)) + "\n" for r in batch)
        if advance is not None:
            advance(len(batch))


def must_stage(conn: Connection, table: str) -> bool:
    """Whether a COPY into `table` must be `staged`: row-level security applies to this
    login role (a mapped one, migration 0009), and it refuses COPY FROM."""
    return bool(conn.exec_driver_sql(f"SELECT row_security_active('{table}')").scalar())


def copy(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    advance: Callable[[int], None] | None,
    *,
    staged: bool = False,
) -> None:
    if rows:
        batches = (rows[i : i + BATCH] for i in range(0, len(rows), BATCH))
        copy_batches(conn, table, columns, batches, advance, staged=staged)


def copy_batches(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    batches: Iterable[list[Any]],
    advance: Callable[[int], None] | None,
    *,
    staged: bool = False,
) -> None:
    """One COPY for all the batches: one round trip to Neon rather than one per batch, and
    the server stores a batch while the next one is being written here.

    `staged`: row-level security refuses COPY FROM (migration 0009), so the COPY fills a
    temporary table (dropped once its rows are in) and one INSERT ... SELECT puts its rows
    through the policies."""
    names = ", ".join(columns)
    target = f"todo_import_{table}" if staged else table
    if staged:
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS"
            f" SELECT {names} FROM {table} WITH NO DATA"
        )
    sql = f"COPY {target} ({names}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    source = _CopySource(_copy_text(batches, advance))
    try:
        with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.copy_expert(sql, source)
    except dbapi.Error as e:
        if source.error is not None:  # Ctrl-C made psycopg2 abort the COPY
            raise source.error from None
        raise DBAPIError.instance(sql, None, e, dbapi.Error) from e  # a type the boundary knows
    if staged:
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target}")
        # Dropped now, not only at commit: the chat import copies once per batch into the
        # same table name in one transaction.
        conn.exec_driver_sql(f"DROP TABLE {target}")


class _CopySource:
    """A file-like object for `copy_expert`: each read() is the text of the next batch. An
    error raised here (Ctrl-C) aborts the COPY, and psycopg2 reports it as an error of its
    own, so it is kept to be raised as itself."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self.pieces = pieces
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> str:
        try:
            return next(self.pieces, "")
        except BaseException as e:
            self.error = e
            raise
