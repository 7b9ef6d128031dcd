"""How long the command server waits: its idle exit and its spare connection's age, from the
environment (TODO_SERVER_IDLE, TODO_SERVER_SPARE_AGE; docs/reference.md)."""

from __future__ import annotations

import os

DEFAULT_IDLE = 600.0
# An older spare connection is replaced, not trusted: Neon closes idle connections when its
# compute suspends (after 5 minutes by default); a proxy may close them sooner.
DEFAULT_SPARE_AGE = 180.0
SPARE_BACKOFF = 5.0  # after a spare died by itself, before forking the next


def seconds(env: dict[str, str] | os._Environ[str], name: str, default: float) -> float:
    """A positive number of seconds from the environment (anything else: the default)."""
    try:
        value = float(env.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def idle_seconds(env: dict[str, str] | os._Environ[str]) -> float:
    return seconds(env, "TODO_SERVER_IDLE", DEFAULT_IDLE)
