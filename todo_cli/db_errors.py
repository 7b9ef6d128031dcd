"""Driver errors made into our own: one line each, the password scrubbed, and classified as
worth retrying (transient), an authentication failure, a misconfiguration, or final."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from todo_cli.config import DatabaseTarget
from todo_cli.errors import DatabaseUnavailable, Misconfigured, TodoError


class OutcomeUnknown(Exception):
    """The connection was lost while a write's outcome was being decided (its COMMIT, or a
    one-statement write in autocommit): the server may or may not have applied it."""

    def __init__(self, error: exc.DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


@contextmanager
def translate_errors(target: DatabaseTarget) -> Iterator[None]:
    """Turn driver errors into our own, one line each, with the password scrubbed."""
    try:
        yield
    except TodoError:
        raise
    except OutcomeUnknown as e:
        raise DatabaseUnavailable(
            f"lost the connection to {target.display} while the change was being committed: "
            f"{driver_message(e.error, target)}; the change may have been applied",
            transient=True,
            maybe_applied=True,
        ) from e
    except (exc.OperationalError, exc.InterfaceError, exc.ProgrammingError) as e:
        if target.backend == "sqlite":
            if isinstance(e, exc.ProgrammingError):
                raise
            if "locked" in str(e.orig) or "busy" in str(e.orig):
                raise DatabaseUnavailable(
                    "database is locked by another process; try again", transient=True
                ) from e
            raise DatabaseUnavailable(f"cannot open {target.display}: {e.orig}") from e
        raise _pg_error(e, target) from e
    except exc.DBAPIError as e:
        if target.backend == "postgresql" and classify(e) == "transient":
            raise DatabaseUnavailable(
                f"lost the connection to {target.display}: {driver_message(e, target)}",
                transient=True,
            ) from e
        raise


def _pg_error(e: exc.DBAPIError, target: DatabaseTarget) -> TodoError | exc.DBAPIError:
    kind = classify(e)
    why = driver_message(e, target)
    if kind == "config":
        return Misconfigured(f"bad connection setting for {target.display}: {why}")
    if kind == "auth":
        return DatabaseUnavailable(f"authentication failed for {target.display}: {why}", auth=True)
    if isinstance(e, exc.ProgrammingError) and not e.connection_invalidated:
        return e  # an error in a statement, not in reaching the server
    verb = "lost the connection to" if e.connection_invalidated else "cannot reach database"
    return DatabaseUnavailable(f"{verb} {target.display}: {why}", transient=kind == "transient")


# SQLSTATEs a retry can cure: the server is shutting down or restarting, or the connection
# broke. Anything about credentials, permissions or the request itself is final.
_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"}
_TRANSIENT_TEXT = (
    "couldn't connect to compute node",
    "ssl syscall error",
    "timeout expired",
    "connection refused",
    "server closed the connection unexpectedly",
    "could not connect to server",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "no connection to the server",
    "connection already closed",
    "could not receive data from server",
    "could not send data to server",
    "eof detected",
)
_AUTH_TEXT = (
    "password authentication failed",
    "no pg_hba.conf entry",
    "authentication failed",
    "no password supplied",
    "channel binding required",
    "server does not support scram",
    'role "',
)
# libpq refuses these before it opens any connection: the URL or an option is wrong.
_CONFIG_TEXT = (
    "invalid dsn",
    "invalid connection option",
    "invalid sslmode value",
    "invalid channel_binding value",
    "invalid integer value",
    "invalid value for parameter",
    "invalid gssencmode value",
    "invalid target_session_attrs value",
    "invalid load_balance_hosts value",
    "invalid sslnegotiation value",
    "invalid port number",
    'missing "=" after',
    "unterminated quoted string",
    "invalid percent-encoded token",
    "invalid uri query parameter",
    'sslmode value "require" invalid when ssl support is not compiled in',
)
_FINAL_TEXT = ("does not exist", "invalid", "unsupported", "sslmode", "certificate")


def classify(e: exc.DBAPIError) -> str:
    """'auth', 'config', 'transient' or 'final' for a PostgreSQL driver error."""
    code = getattr(e.orig, "pgcode", None)
    text = str(e.orig).lower()
    if code in ("28P01", "28000") or any(t in text for t in _AUTH_TEXT):
        return "auth"
    if code is None and any(t in text for t in _CONFIG_TEXT):
        return "config"
    if code in _TRANSIENT_SQLSTATES:
        return "transient"
    if any(t in text for t in _FINAL_TEXT) and "timeout" not in text:
        return "final"
    if e.connection_invalidated or any(t in text for t in _TRANSIENT_TEXT):
        return "transient"
    return "final"


def driver_message(e: exc.DBAPIError, target: DatabaseTarget) -> str:
    """The first meaningful line of a driver error, never containing the password."""
    text = str(e.orig) if e.orig is not None else str(e)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # libpq repeats "connection to server at ... failed:" per address; the reason is what helps.
    line = next((ln for ln in lines if "FATAL" in ln or "timeout" in ln.lower()), "")
    line = line or (lines[0] if lines else type(e.orig).__name__)
    password = target.password
    if password:
        line = line.replace(password, "***")
    return line
