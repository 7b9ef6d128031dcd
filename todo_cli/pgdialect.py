"""A psycopg2 dialect that learns about the server from the connection, not from queries.

On its first connection, SQLAlchemy's stock dialect asks the server five things, one round trip
each: an hstore probe, `version()`, `current_schema()`, the isolation level and
`standard_conforming_strings`. libpq already received the server version and
`standard_conforming_strings` in the startup handshake, so we read them from there. We never use
hstore, and `todo` never changes the schema search path or the isolation level, so the defaults
are known. Against Neon every round trip saved is 1-100 ms.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.engine.interfaces import IsolationLevel

DRIVERNAME = "postgresql+todo_psycopg2"


class FastPGDialect(PGDialect_psycopg2):
    supports_statement_cache = True

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("use_native_hstore", False)
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        # libpq encodes 15.4 as 150004 and 9.6.3 as 90603.
        v = int(connection.connection.dbapi_connection.server_version)
        if v >= 100000:
            return (v // 10000, v % 10000)
        return (v // 10000, v // 100 % 100, v % 100)

    def _get_default_schema_name(self, connection: Any) -> str:
        return "public"

    def get_default_isolation_level(self, dbapi_conn: Any) -> IsolationLevel:
        return "READ COMMITTED"

    def _set_backslash_escapes(self, connection: Any) -> None:
        dbapi_conn = connection.connection.dbapi_connection
        std = dbapi_conn.get_parameter_status("standard_conforming_strings")
        self._backslash_escapes = std == "off"


registry.register("postgresql.todo_psycopg2", __name__, "FastPGDialect")
