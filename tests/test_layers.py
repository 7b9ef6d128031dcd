"""The layering, checked from the source: `services/` (and the readers of other tools' formats)
never import Typer, Click or Rich, and `cli/` never talks to the database itself.

A newcomer who adds `import rich` to a service, or a query to a command, finds out here rather
than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "todo_cli"
UI = {"typer", "click", "rich"}
DATABASE = {"sqlalchemy", "sqlmodel", "psycopg2", "sqlite3", "alembic"}


def imported(path: Path) -> set[str]:
    """The top-level package of every import in the file, at any depth (lazy ones too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules(*parts: str) -> list[Path]:
    found = sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py"))
    assert found, parts
    return found


@pytest.mark.parametrize("path", modules("services", "chat_formats"), ids=lambda p: p.name)
def test_services_know_nothing_of_the_terminal(path: Path) -> None:
    assert imported(path) & UI == set()


@pytest.mark.parametrize("path", modules("cli"), ids=lambda p: p.name)
def test_commands_leave_the_database_to_services(path: Path) -> None:
    assert imported(path) & DATABASE == set()


def test_the_checks_see_imports() -> None:
    """The walker finds a lazy import inside a function, and a dotted one."""
    source = PACKAGE / "cli" / "app.py"
    assert "typer" in imported(source)
    here = imported(Path(__file__))
    assert {"ast", "pytest", "pathlib"} <= here
