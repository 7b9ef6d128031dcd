"""What every table is built from: column helpers, naming, and the rules all rows share.

Its own module so that `models.py` (users, tasks, conversations, messages) and
`task_tables.py` (annotations, dependencies, the journal) both build on it without importing
each other.
"""

import os
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, text
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig

from todo_cli.columns import UTCDateTime
from todo_cli.rules import USER_ID_MAX
from todo_cli.when import utcnow

# SQLite: AUTOINCREMENT, so a purged row's id is never given to another row.
NO_ID_REUSE = {"sqlite_autoincrement": True}

# Deterministic constraint names, so that migrations can refer to them on both backends
# (SQLite batch mode needs names to drop or alter a constraint).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def request_key_column() -> Column[str]:
    return Column(String(64), nullable=True)


# Only the few rows with a request key are in its unique index (migration 0005, declared in
# `ddl_metadata`); `ON CONFLICT` names that index with the same predicate.
HAS_REQUEST_KEY = text("request_key IS NOT NULL")
# Stores a row once per request key, in SQL text (`Work.insert_once` builds the same clause).
ONCE_PER_KEY = f"ON CONFLICT (request_key) WHERE {HAS_REQUEST_KEY.text} DO NOTHING"


def user_fk() -> Column[str]:
    return Column(String(USER_ID_MAX), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def timestamp(*, nullable: bool = False, onupdate: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, onupdate=utcnow if onupdate else None)


def no_tags() -> list[str]:
    """Not `list`: pydantic inspects a factory's signature, and for a builtin that means
    compiling the tokenizer's regular expressions (~5 ms at every start-up)."""
    return []


def nothing_extra() -> dict[str, object]:
    return {}


def new_uuid() -> str:
    """A task's stable identity: a version 4 uuid in Taskwarrior's lowercase form.

    Written out from 16 random bytes rather than through `uuid.uuid4()` and `str`: 1.4 us
    against 5.0 us (timeit, one run), for an import of 100,000 tasks without uuids 0.36 s."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# The variant's two top bits are 10: the 17th hex digit is 8, 9, a or b.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


# Table rows are never validated through pydantic (see schemas.py), so their validators are
# built only if something asks for one: about 10 ms less at every start-up.
DEFERRED = SQLModelConfig(defer_build=True)
