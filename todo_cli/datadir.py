"""Small files in the data dir: the user chosen by `todo user use`, and a per-database cache.

Each database gets its own files, keyed by `DatabaseTarget.key`, so that switching between a
local SQLite file and Neon never mixes their users. Writes are atomic (write, then rename), so a
crash or two processes at once leave either the old or the new content, never half of it.

The cache holds only hints that a command checks before trusting: the schema revision seen
(a statement that meets another schema makes the command look again). Nothing cached decides
which rows a command shows or changes: every statement finds the current user by its key.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from todo_cli.config import data_dir


def _path(kind: str, key: str) -> Path:
    return data_dir() / f"{kind}-{key}.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from the data dir; {} when missing or unreadable."""
    return _read(path)


def write_json_quietly(path: Path, data: dict[str, Any]) -> None:
    """Write atomically; a failure (read-only home) only costs a hint."""
    with contextlib.suppress(OSError):
        _write(path, data)


def saved_user(key: str) -> str | None:
    value = _read(_path("user", key)).get("user")
    return value if isinstance(value, str) else None


def save_user(key: str, user: str) -> None:
    _write(_path("user", key), {"user": user})


def clear_user(key: str) -> None:
    _path("user", key).unlink(missing_ok=True)


def cache_get(key: str, name: str) -> Any:
    return _read(_path("cache", key)).get(name)


def cache_set(key: str, **values: Any) -> None:
    """Merge values into the cache; a failure to write (read-only home) only costs speed."""
    path = _path("cache", key)
    data = _read(path)
    if all(data.get(k) == v for k, v in values.items()):
        return
    data.update(values)
    with contextlib.suppress(OSError):
        _write(path, data)


def cache_drop(key: str, name: str) -> None:
    """Forget one entry (the others stay)."""
    path = _path("cache", key)
    data = _read(path)
    if name in data:
        del data[name]
        with contextlib.suppress(OSError):
            _write(path, data)
