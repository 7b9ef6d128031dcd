"""Where the data lives, which database a command talks to, and todo's settings.

Precedence follows the command reference (docs/reference.md):
  database: --database-url > DATABASE_URL (process env) > DATABASE_URL in ./.env > embedded SQLite
  data dir: TODO_HOME > typer.get_app_dir("todo")
Settings are read once per command into a `Settings`, which is passed to whatever needs one;
`./.env` is read then, and never written into the process environment.
This module is cheap to import: it pulls in SQLAlchemy's URL parser only when a URL is resolved.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from todo_cli.errors import BadInput, Misconfigured

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

PG_DRIVER = "postgresql+psycopg2"
_PG_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg2")
DEFAULT_RETRY_SECONDS = 10.0
DEFAULT_CONNECT_TIMEOUT = 10  # the most one connection attempt may take (libpq's minimum is 2)
SETTINGS = (
    "DATABASE_URL",
    "DATABASE_URL_DIRECT",
    "TODO_CONNECT_TIMEOUT",
    "TODO_RETRY_SECONDS",
    "TODO_SLOW_MS",
)


@dataclass(frozen=True)
class Settings:
    """todo's settings for one command, checked: a bad value is BadInput when first read.

    `connect_timeout` caps each connection attempt; `retry_seconds` is the budget for
    retrying a unit of work through transient faults; `slow_ms` logs slower statements.
    """

    database_url: str | None = None
    database_url_direct: str | None = None
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    slow_ms: float | None = None

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
        """From the process environment, then `.env` in `cwd` (the current directory)."""
        env = dict(os.environ if environ is None else environ)
        env_file = (cwd or Path.cwd()) / ".env"
        if env_file.is_file() and any(name not in env for name in SETTINGS):
            from dotenv import dotenv_values

            for name, value in dotenv_values(env_file).items():
                if name in SETTINGS and value is not None:
                    env.setdefault(name, value)
        retry = _number(env, "TODO_RETRY_SECONDS", DEFAULT_RETRY_SECONDS, "seconds")
        assert retry is not None  # it has a default
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            database_url_direct=env.get("DATABASE_URL_DIRECT") or None,
            connect_timeout=_seconds(env, "TODO_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, 2),
            retry_seconds=retry,
            slow_ms=_number(env, "TODO_SLOW_MS", None, "milliseconds"),
        )


def _number(env: Mapping[str, str], name: str, default: float | None, unit: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise Misconfigured(f"{name} must be a number of {unit}, not {raw!r}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: int, least: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise Misconfigured(f"{name} must be a whole number of seconds, not {raw!r}")
    return max(least, int(raw))


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
        """A stable short id for this database (no password in it), to key the data-dir files.

        A SQLite file is named by its resolved path: `sqlite:///todo.db` in two folders is two
        databases. A PostgreSQL database by server, port, database and login role.
        """
        import hashlib

        u = self.url
        where = u.database
        if self.backend == "sqlite" and where and where != ":memory:":
            where = str(Path(where).expanduser().resolve())
        # The same fields as before the path was resolved, so existing files keep their names.
        ident = f"{u.get_backend_name()}|{u.username}|{u.host}|{u.port}|{where}"
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


def resolve_database(cli_url: str | None, settings: Settings) -> DatabaseTarget:
    """Pick the database for everyday commands, by the precedence above."""
    chosen = cli_url or settings.database_url
    return DatabaseTarget(parse_url(chosen)) if chosen else embedded_database()


EMBEDDED_FILE = "todo.db"  # the zero-set-up SQLite file's name in the data dir


def embedded_database() -> DatabaseTarget:
    """The zero-set-up SQLite file in the data dir."""
    from sqlalchemy.engine import URL as SAURL

    path = data_dir() / EMBEDDED_FILE
    return DatabaseTarget(SAURL.create("sqlite", database=str(path)))


def resolve_direct_database(cli_url: str | None, settings: Settings) -> DatabaseTarget:
    """The database for migrations and admin work: Neon's direct endpoint, never the pooler.

    DATABASE_URL_DIRECT wins when set (and no --database-url was given). Otherwise a Neon
    `-pooler` host is turned into its direct host by dropping `-pooler`, because PgBouncer in
    transaction mode loses the session state and advisory locks that migrations rely on.
    """
    if not cli_url and settings.database_url_direct:
        return DatabaseTarget(parse_url(settings.database_url_direct))
    target = resolve_database(cli_url, settings)
    host = target.url.host or ""
    first, dot, rest = host.partition(".")
    if first.endswith("-pooler") and rest.endswith("neon.tech"):
        return DatabaseTarget(target.url.set(host=first.removesuffix("-pooler") + dot + rest))
    return target
