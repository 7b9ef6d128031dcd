"""A shared PostgreSQL database as a team has it, for the row-level security tests: owned and
migrated by an administrator role that is NOT a superuser (a superuser would bypass every
policy and prove nothing), with alice and bob each mapped to a login role of their own by
`todo user add --login`, and rows of every kind for both. This module holds no tests.

Roles are the server's, not one database's: each test's have unique names and are dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from tests.dbutil import migrate_db
from tests.helpers import js, ok


@dataclass
class Shared:
    admin_url: str  # the tables' owner (runs migrations)
    server_url: str  # the test server's superuser, for set-up only
    database: str
    roles: dict[str, str]  # user id -> login role
    ids: dict[str, dict[str, int]] = field(default_factory=dict)  # user -> what `fill` made

    def url(self, user: str, port: int | None = None) -> str:
        """The database as `user`'s login role connects to it."""
        u = make_url(self.admin_url).set(username=self.roles[user], password=None)
        if port is not None:
            u = u.set(port=port)
        return u.render_as_string(hide_password=False)

    @contextmanager
    def connect(self, user: str | None = None) -> Iterator[Any]:
        """Plain psycopg2, not through todo, each statement its own transaction: as `user`'s
        role, or as the administrator."""
        url = make_url(self.url(user) if user else self.admin_url)
        conn = psycopg2.connect(
            host=url.host, port=url.port, dbname=url.database, user=url.username
        )
        conn.autocommit = True
        try:
            yield conn
        finally:
            conn.close()


def _superuser(server_url: str, sql: str) -> None:
    conn = psycopg2.connect(
        make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@contextmanager
def shared_database(pg_url: str) -> Iterator[Shared]:
    """`pg_url`'s database handed to a new non-superuser owner, migrated by it, with alice
    and bob mapped to roles; the roles are dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    owner = f"rls_owner_{tag}"
    roles = {"alice": f"rls_alice_{tag}", "bob": f"rls_bob_{tag}"}
    name = make_url(pg_url).database or ""
    server = make_url(pg_url).set(database="postgres").render_as_string(hide_password=False)
    _superuser(server, f'CREATE ROLE "{owner}" LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS')
    try:
        _superuser(pg_url, f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
        _superuser(pg_url, f'ALTER SCHEMA public OWNER TO "{owner}"')
        admin = make_url(pg_url).set(username=owner).render_as_string(hide_password=False)
        migrate_db(admin)
        shared = Shared(admin, server, name, roles)
        for user, role in roles.items():
            ok(admin, "user", "add", f"{user}@example.com", "--id", user, "--login", role)
        yield shared
    finally:
        _superuser(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in [*roles.values(), owner]:
            _superuser(server, f'DROP ROLE IF EXISTS "{role}"')


def fill(admin_url: str, user: str, secret: str) -> dict[str, int]:
    """Rows of every kind for `user`, made by the administrator with `--user`: tasks (one
    depending on another), an annotation, journal entries, a conversation with messages that
    contain `secret`."""
    first = js(admin_url, "add", f"{user} first", "-t", "shop", user=user)
    second = js(admin_url, "add", f"{user} second", "--depends", str(first["id"]), user=user)
    ok(admin_url, "annotate", str(first["id"]), f"{user} note", user=user)
    ok(admin_url, "complete", str(second["id"]), user=user)
    conv = js(admin_url, "chat", "new", f"{user} chat", user=user)["id"]
    for text in (f"hello {secret}", f"{secret} again"):
        js(admin_url, "chat", "say", str(conv), text, user=user)
    return {"task": first["id"], "done": second["id"], "conversation": conv}


@pytest.fixture(name="shared")
def shared_fixture(pg_url: str) -> Iterator[Shared]:
    with shared_database(pg_url) as db:
        db.ids = {u: fill(db.admin_url, u, f"secret{u}") for u in db.roles}
        yield db
