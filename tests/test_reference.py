"""The reference in the repository: docs/commands.md is what the app generates today, the README
and docs point only at files that exist (nothing outside the repository), every environment
variable the code reads is documented, and every command's summary fits `--help` uncut."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from todo_cli.cli.reference import command_reference

ROOT = Path(__file__).resolve().parent.parent
USER_FACING = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_command_reference_is_current() -> None:
    written = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert written == command_reference(), (
        "docs/commands.md is out of date: run `python -m todo_cli.cli.reference > docs/commands.md`"
    )


@pytest.mark.parametrize("doc", USER_FACING, ids=lambda p: p.name)
def test_links_stay_inside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "CLI.md" not in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_the_readme_links_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/reference.md)" in readme and "(docs/commands.md)" in readme


def test_every_environment_variable_read_is_documented() -> None:
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "todo_cli").rglob("*.py"))
    read = set(re.findall(r"""(?:environ|env)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""", code))
    read |= set(re.findall(r"""envvar=["']([A-Z][A-Z0-9_]+)["']""", code))
    assert {"DATABASE_URL", "TODO_HOME", "TODO_USER"} <= read  # the scan finds them
    missing = {v for v in read if f"`{v}`" not in reference}
    assert not missing, f"not in docs/reference.md: {sorted(missing)}"


def test_every_summary_fits_uncut() -> None:
    from typer._click.utils import make_default_short_help
    from typer.main import get_command

    from todo_cli.cli.app import app

    cut = []

    def walk(group: object, path: str) -> None:
        for name, command in getattr(group, "commands", {}).items():
            summary = make_default_short_help(command.help or "", 45)
            if summary.endswith("..."):
                cut.append(f"{path} {name}: {summary}")
            walk(command, f"{path} {name}")

    walk(get_command(app), "todo")
    assert not cut, cut
