"""Our own error types. Services raise them; the CLI turns them into `error: ...` and an exit code.

Exit codes follow the command reference (docs/reference.md): 1 means "could not be done" (not
found, unreachable, not migrated, conflict) and 2 means "bad usage or bad input".
"""

from __future__ import annotations


class TodoError(Exception):
    """Base class: a one-line message meant for the user, and the exit code that goes with it."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInput(TodoError):
    """The user gave something we cannot accept (empty title, bad date, bad URL...)."""

    exit_code = 2


class Misconfigured(BadInput):
    """A setting or connection option is wrong (`sslmode=bogus`, `TODO_RETRY_SECONDS=abc`): no
    command can run until it is fixed. `db health` reports it as UNKNOWN."""


class NotFound(TodoError):
    """The row does not exist, or it belongs to another user: both read exactly the same."""


class Conflict(TodoError):
    """A uniqueness or state conflict, e.g. an email that is already taken."""


class DatabaseUnavailable(TodoError):
    """The database could not be reached, refused us, or timed out.

    `transient` marks faults worth retrying (a waking Neon compute, a dropped connection);
    authentication and configuration errors are not.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        auth: bool = False,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.auth = auth
        self.maybe_applied = maybe_applied  # lost while a write was being committed


class NotMigrated(TodoError):
    """The schema is missing or behind the code: the fix is `todo db migrate`."""

    def __init__(self, current: str | None, head: str) -> None:
        state = "not migrated" if current is None else f"at revision {current}, code expects {head}"
        super().__init__(f"database schema is {state}; run: todo db migrate")
        self.current = current
        self.head = head


class ConfirmationRequired(TodoError):
    """A destructive command ran without a terminal to ask on and without --yes."""

    exit_code = 2
