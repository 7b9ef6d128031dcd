"""A command through the command server behaves as it does in-process: output, exit codes,
stdin, --json, TZ, COLUMNS, NO_COLOR on a terminal, `.env` in the working directory, umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers
from tests.helpers import Run, add, norm
from tests.terminal import on_tty
from todo_cli import client

CASES = [
    (["list"], None, {}),
    (["list", "--json"], None, {}),
    (["show", "1"], None, {"TZ": "Asia/Tokyo"}),
    (["list"], None, {"TZ": "America/New_York", "COLUMNS": "44"}),
    (["annotate", "1", "-"], "a note from stdin\n", {}),
    (["annotate", "1", "-"], "\xff not utf-8", {}),
    (["complete", "99"], None, {}),
    (["list", "--bogus"], None, {}),
    (["add", ""], None, {}),
    (["show", "1", "--json"], None, {"TZ": "Pacific/Auckland"}),
]


def run(*args: str, env: dict[str, str], input: str | None = None) -> Run:
    p = subprocess.run(
        [sys.executable, "-m", "todo_cli", *args],
        input=input.encode("latin-1") if input is not None else None,
        capture_output=True,
        env={**os.environ, **env},
    )
    return Run(p.returncode, norm(p.stdout.decode()), norm(p.stderr.decode()))


def served() -> int:
    info = client.control("status", servers.data_dir_of(dict(os.environ)))
    assert info is not None
    return int(info["commands"])


@pytest.mark.parametrize(("args", "stdin", "env"), CASES)
def test_same_as_in_process(
    db_url: str, args: list[str], stdin: str | None, env: dict[str, str]
) -> None:
    add(db_url, "first", "--due", "2030-05-06 07:08", "-t", "home")
    given = ["--database-url", db_url, *args]
    here = run(*given, env={**env, "TODO_SERVER": "off"}, input=stdin)
    servers.start(dict(os.environ))
    there = run(*given, env={**env, "TODO_SERVER": "on"}, input=stdin)
    assert served() == 1
    assert there == here


def test_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(f"DATABASE_URL=sqlite:///{project / 'p.db'}\n")
    servers.start(dict(os.environ))
    on = {**os.environ, "TODO_SERVER": "on"}
    p = subprocess.run([sys.executable, "-m", "todo_cli", "add", "here"], cwd=project, env=on)
    assert p.returncode == 0 and (project / "p.db").exists()
    elsewhere = run("list", "--json", env={"TODO_SERVER": "on"})  # the cwd is another dir
    assert '"total": 0' in elsewhere.stdout, elsewhere
    assert served() == 2


def test_umask(tmp_path: Path) -> None:
    servers.start(dict(os.environ))
    for mode, name in (("off", "here.db"), ("on", "there.db")):
        url = f"sqlite:///{tmp_path / name}"
        subprocess.run(
            [sys.executable, "-m", "todo_cli", "--database-url", url, "add", "x"],
            env={**os.environ, "TODO_SERVER": mode},
            preexec_fn=lambda: os.umask(0o077),
            check=True,
            capture_output=True,
        )
    modes = [stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("here.db", "there.db")]
    assert modes == [0o600, 0o600]
    assert served() == 1


@pytest.mark.parametrize("no_color", [True, False])
def test_a_terminal_sees_the_same(db_url: str, no_color: bool) -> None:
    add(db_url, "coloured", "-t", "x", "--priority", "high")
    env = {"NO_COLOR": "1"} if no_color else {}
    here = on_tty("--database-url", db_url, "list", env={**env, "TODO_SERVER": "off"})
    servers.start(dict(os.environ))
    there = on_tty("--database-url", db_url, "list", env={**env, "TODO_SERVER": "on"})
    assert served() == 1
    assert (there.exit_code, norm(there.output)) == (here.exit_code, norm(here.output))
    assert "\x1b[1m" in here.output  # (NO_COLOR drops colours, not bold)
