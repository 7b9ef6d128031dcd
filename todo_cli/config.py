"""Where the data lives and which database and user a command talks to.

Precedence follows ../shared/CLI.md:
  database: --database-url > DATABASE_URL (process env) > DATABASE_URL in ./.env > embedded SQLite
  data dir: TODO_HOME > typer.get_app_dir("todo")
This module is cheap to import: it pulls in SQLAlchemy's URL parser only when a URL is resolved.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from todo_cli.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

PG_DRIVER = "postgresql+psycopg2"
_PG_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg2")
_dotenv_loaded = False


def load_dotenv_once() -> None:
    """Read ./.env into the environment, never overriding a variable that is already set."""
    global _dotenv_loaded
    if _dotenv_loaded:
        return
    _dotenv_loaded = True
    env_file = Path.cwd() / ".env"
    if env_file.is_file():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)


def data_dir() -> Path:
    """The directory for the embedded database, the saved user and the cache."""
    home = os.environ.get("TODO_HOME")
    if home:
        return Path(home).expanduser()
    from typer import get_app_dir

    return Path(get_app_dir("todo"))


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database: the SQLAlchemy URL plus what we need to know about it."""

    url: URL
    embedded: bool  # the zero-set-up SQLite file in the data dir

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.get_backend_name() == "postgresql" else "sqlite"

    @property
    def display(self) -> str:
        """The URL with its password masked: the only form of it we ever print."""
        url = self.url
        hidden = {k: "***" for k in _SECRET_PARAMS if k in url.query}
        if hidden:
            url = url.update_query_dict(hidden)
        return url.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")

    @property
    def key(self) -> str:
        """A stable short id for this database (no password in it), to key the local cache."""
        import hashlib

        u = self.url
        ident = f"{u.get_backend_name()}|{u.username}|{u.host}|{u.port}|{u.database}"
        return hashlib.sha256(ident.encode()).hexdigest()[:16]

    @property
    def password(self) -> str | None:
        if isinstance(self.url.password, str):
            return self.url.password
        query = self.url.query.get("password")
        return query if isinstance(query, str) else None


_SECRET_PARAMS = ("password", "sslpassword")


def mask_url(raw: str) -> str:
    """Mask the password of a URL-looking string without parsing it strictly: the userinfo
    part (up to the last `@` before the path, with or without `://`) and password=... query
    parameters."""
    raw = re.sub(r"(:/+[^\s:/@'\"]*:)[^\s'\"]*@", r"\1***@", raw)  # scheme://user:pw@
    raw = re.sub(r"((?:^|[\s'\"])[^\s:/@'\"]+:)[^\s'\"/]*@", r"\1***@", raw)  # user:pw@host
    return re.sub(r"((?:^|[?&])(?:ssl)?password=)[^&\s'\"]*", r"\1***", raw)


def parse_url(raw: str) -> URL:
    """Turn a user-given URL into a SQLAlchemy URL that reaches psycopg2 or sqlite3.

    Neon's console URLs (`postgresql://...?sslmode=require&channel_binding=require`) are
    accepted as pasted; `postgres://` and `postgresql://` are mapped to psycopg2, because
    SQLAlchemy 2.1 would otherwise pick psycopg 3, which we do not ship.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = raw.strip()
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in _PG_SCHEMES:
        raw = PG_DRIVER + raw[len(scheme) :]
    elif scheme not in ("sqlite", "sqlite+pysqlite"):
        # Only a URL we could split is echoed (masked); anything else could be all secret.
        shown = f" {mask_url(raw)!r}" if scheme else ""
        raise BadInput(
            f"unsupported database URL{shown}: use postgresql://... or sqlite:///path/to/file.db"
        )
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise BadInput(f"invalid database URL {mask_url(raw)!r}: {exc}") from None
    if url.get_backend_name() == "postgresql":
        if "@" in (url.host or ""):
            raise BadInput("invalid database URL: write an '@' in the password as %40")
        if not url.host and not url.query.get("host"):
            raise BadInput(f"invalid database URL {mask_url(raw)!r}: no host")
        if url.port is not None and not 0 < url.port < 65536:
            raise BadInput(f"invalid database URL {mask_url(raw)!r}: bad port")
        # Neon only speaks TLS; make that explicit rather than relying on libpq's "prefer".
        if (url.host or "").endswith(".neon.tech") and "sslmode" not in url.query:
            url = url.update_query_dict({"sslmode": "require"})
    return url


def resolve_database(cli_url: str | None) -> DatabaseTarget:
    """Pick the database for everyday commands, by the precedence in CLI.md."""
    if cli_url:
        return DatabaseTarget(parse_url(cli_url), embedded=False)
    load_dotenv_once()
    env_url = os.environ.get("DATABASE_URL")
    if env_url:
        return DatabaseTarget(parse_url(env_url), embedded=False)
    return embedded_database()


def embedded_database() -> DatabaseTarget:
    from sqlalchemy.engine import URL as SAURL

    path = data_dir() / "todo.db"
    return DatabaseTarget(SAURL.create("sqlite", database=str(path)), embedded=True)


def resolve_direct_database(cli_url: str | None) -> DatabaseTarget:
    """The database for migrations and admin work: Neon's direct endpoint, never the pooler.

    DATABASE_URL_DIRECT wins when set (and no --database-url was given). Otherwise a Neon
    `-pooler` host is turned into its direct host by dropping `-pooler`, because PgBouncer in
    transaction mode loses the session state and advisory locks that migrations rely on.
    """
    if not cli_url:
        load_dotenv_once()
        direct = os.environ.get("DATABASE_URL_DIRECT")
        if direct:
            return DatabaseTarget(parse_url(direct), embedded=False)
    target = resolve_database(cli_url)
    host = target.url.host or ""
    first, dot, rest = host.partition(".")
    if first.endswith("-pooler") and rest.endswith("neon.tech"):
        url = target.url.set(host=first.removesuffix("-pooler") + dot + rest)
        return DatabaseTarget(url, embedded=False)
    return target
