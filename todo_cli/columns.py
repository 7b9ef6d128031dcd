"""Column types of the tables whose Python value differs from what a backend stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


def utc_text(value: datetime, *, offset: bool = False) -> str:
    """An aware moment as stored text: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, the form in which
    SQLAlchemy's SQLite DateTime (under UTCDateTime) writes and reads it, and which sorts as
    time does; with `offset`, `+00:00` follows, which PostgreSQL reads as a timestamptz. For
    rows sent to a driver directly (imports), which would otherwise convert every cell."""
    text = value.astimezone(UTC).isoformat(" ", "microseconds")
    return text if offset else text[:-6]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores `timestamptz`. SQLite has no timezone type, so the value is stored as a
    naive UTC string (which also sorts correctly) and gets its UTC offset back on the way out.
    A naive datetime handed to us is refused, because we cannot know what zone it meant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        utc: datetime = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        dt: datetime = value
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class JsonValue(TypeDecorator[Any]):
    """A JSON value (the tags list, fields kept from an import): JSONB on PostgreSQL, JSON
    text on SQLite.

    Choosing the PostgreSQL type here, when the dialect is known, keeps SQLAlchemy's PostgreSQL
    dialect out of the import path of commands that run on the embedded SQLite file.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())
