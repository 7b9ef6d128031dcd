"""Login roles mapped to users (`todo user add EMAIL --login ROLE`), PostgreSQL only.

A mapped role gets the least it needs to be that user: CONNECT on the database, USAGE on the
schema, SELECT/INSERT/UPDATE/DELETE on the tables that hold users' rows (the policies of
`services/database/rls.py` keep it to its own), SELECT on its user and mapping, USAGE on the
sequences, and SELECT on `alembic_version` (every command checks the schema revision). It is
never a superuser, never bypasses row-level security, and owns nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from todo_cli.errors import BadInput, Conflict
from todo_cli.services.database.rls import LOGINS, PROTECTED

# Unquoted PostgreSQL identifiers, lower case: what Neon's console and psql users type.
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# 128 bits from `secrets`; Neon asks for about 60 bits for roles created with SQL.
PASSWORD_BYTES = 16


@dataclass(frozen=True)
class Login:
    role: str
    created: bool  # a new role (False: an existing one was mapped)
    password: str | None  # set now (generated or given); None if an existing role kept its own


def check_role(role: str) -> str:
    if not _ROLE.fullmatch(role):
        raise BadInput(
            f"bad login role {role!r}: use lower-case letters, digits and _ (at most 63),"
            " starting with a letter or _"
        )
    return role


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def map_login(s: Session, user_id: str, role: str, password: str | None) -> Login:
    """Create `role` (or take the existing one), grant it what it needs, and map it to the
    user, all in the caller's transaction."""
    found = s.execute(
        text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    mapped = s.execute(
        text(f"SELECT user_id FROM {LOGINS} WHERE login_role = :r"), {"r": role}
    ).scalar()
    if mapped is not None:
        raise Conflict(f"login role {role!r} is already mapped to a user")
    if found is not None and found[0]:
        raise Conflict(
            f"login role {role!r} bypasses row-level security (superuser or BYPASSRLS):"
            " it would see every user's rows; choose another role"
        )
    owner = s.execute(
        text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'users'::regclass")
    ).scalar()
    if role == owner:
        raise Conflict(f"login role {role!r} owns the tables and sees every user's rows")
    created = found is None
    if created and password is None:
        password = new_password()
    if created:
        _with_password(
            s,
            f'CREATE ROLE "{role}" LOGIN PASSWORD %s NOSUPERUSER NOCREATEDB NOCREATEROLE'
            " NOREPLICATION NOBYPASSRLS INHERIT",
            password,
        )
    elif password is not None:
        _with_password(s, f'ALTER ROLE "{role}" LOGIN PASSWORD %s', password)
    _grant(s, role)
    s.execute(
        text(f"INSERT INTO {LOGINS} (login_role, user_id) VALUES (:r, :u)"),
        {"r": role, "u": user_id},
    )
    return Login(role, created, password)


def _with_password(s: Session, sql: str, password: str | None) -> None:
    """Run `sql` with the password quoted in by psycopg2 (utility statements take no server
    parameters), on the driver's cursor: SQLAlchemy would show the parameters in a
    traceback (`--verbose`) and in `--profile`, and the password must never be printed."""
    from sqlalchemy.exc import DBAPIError

    conn = s.connection()
    dbapi = conn.dialect.loaded_dbapi
    try:
        with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(sql, (password,))
    except dbapi.Error as e:
        raise DBAPIError.instance(sql, None, e, dbapi.Error) from None


def _grant(s: Session, role: str) -> None:
    q = f'"{role}"'
    schema = s.execute(text("SELECT current_schema()")).scalar()
    s.execute(text(f'GRANT CONNECT ON DATABASE "{_database(s)}" TO {q}'))
    s.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {q}'))
    for name, _owner, _qual, privileges in s.execute(text(PROTECTED)).all():
        s.execute(text(f"GRANT {privileges} ON {name} TO {q}"))
    s.execute(text(f"GRANT SELECT ON alembic_version TO {q}"))
    s.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {q}'))


def _revokes(s: Session, role: str) -> list[str]:
    """What `_grant` gave, taken back (DROP OWNED BY would need membership in the role)."""
    q = f'"{role}"'
    schema = s.execute(text("SELECT current_schema()")).scalar()
    return [
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {q}',
        f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {q}',
        f'REVOKE ALL ON SCHEMA "{schema}" FROM {q}',
        f'REVOKE ALL ON DATABASE "{_database(s)}" FROM {q}',
    ]


def _database(s: Session) -> str:
    return str(s.execute(text("SELECT current_database()")).scalar())


def drop_login(s: Session, user_id: str) -> str | None:
    """Forget the user's login role and drop it (its privileges here first), in the caller's
    transaction; the role's name, or None if the user had none."""
    role = s.execute(
        text(f"DELETE FROM {LOGINS} WHERE user_id = :u RETURNING login_role"), {"u": user_id}
    ).scalar()
    if role is None:
        return None
    for revoke in _revokes(s, role):
        s.execute(text(revoke))
    s.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    return str(role)
