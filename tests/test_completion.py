"""Shell completion: the scripts Typer writes, run in a real bash; values (task ids with their
titles, tags, projects) answered from the data dir, fresh as commands run, and never from the
database (which may be across the internet, or down)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import add, ok

BIN = str(Path(sys.executable).parent)  # where `todo` is installed
pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or not Path(BIN, "todo").exists(), reason="needs bash and todo"
)


def _env(db_url: str, **more: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "DATABASE_URL": db_url, **more}


def bash_complete(db_url: str, line: str) -> list[str]:
    """What <Tab> offers at the end of `line`, by the script `todo --show-completion` prints,
    sourced into a real bash."""
    words = line.split(" ")
    script = (
        "source <(todo --show-completion bash)\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_todo_completion todo\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = _env(db_url, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    p = subprocess.run(
        [
            "bash",
            "--norc",
            "-c",
            script.replace("--show-completion bash", "--show-completion bash"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 0 and p.stderr == "", p
    return [x for x in p.stdout.splitlines() if x]


def zsh_complete(db_url: str, line: str) -> str:
    """The answer Typer's zsh script would get (zsh itself need not be installed)."""
    env = _env(db_url, _TODO_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS=line)
    p = subprocess.run(["todo"], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p
    return p.stdout


def test_commands_and_options_complete_in_bash(db_url: str) -> None:
    assert bash_complete(db_url, "todo li") == ["list"]
    assert bash_complete(db_url, "todo list --pro") == ["--project"]
    assert set(bash_complete(db_url, "todo db mi")) == {"migrate"}
    assert "chat" in bash_complete(db_url, "todo ch")


def test_values_come_from_what_commands_have_seen_and_stay_fresh(db_url: str) -> None:
    add(db_url, "pay rent", "-t", "bills", "--project", "Home")
    add(db_url, "buy eggs", "-t", "shop")
    assert bash_complete(db_url, "todo show ") == ["2", "1"]  # the latest first
    assert bash_complete(db_url, "todo list --tag ") == ["bills", "shop"]
    assert bash_complete(db_url, "todo list --project H") == ["Home"]
    assert bash_complete(db_url, "todo complete ") == ["2", "1"]
    ok(db_url, "complete", "1")  # done: no longer offered
    assert bash_complete(db_url, "todo done ") == ["2"]
    ok(db_url, "reopen", "1")
    assert bash_complete(db_url, "todo edit ") == ["1", "2"]


def test_zsh_shows_each_id_with_its_title(db_url: str) -> None:
    add(db_url, "pay rent")
    add(db_url, "a title " + "x" * 100 + "\x1b[31m")
    out = zsh_complete(db_url, "todo show ")
    assert '"1":"pay rent"' in out
    assert '"2":"a title xxx' in out and "…" in out and "\x1b" not in out  # cut, escaped


def test_values_never_wait_for_the_database(db_url: str, tmp_path: Path) -> None:
    add(db_url, "pay rent")
    down = "postgresql://u:p@127.0.0.1:9/nowhere"  # nothing listens: a command would fail
    r = subprocess.run(
        ["todo", "--database-url", down, "list"], capture_output=True, text=True, env=_env(db_url)
    )
    assert r.returncode == 1
    start = time.monotonic()
    assert bash_complete(db_url, "todo show ") == ["1"]
    assert bash_complete(down, "todo show ") == []  # nothing seen there: nothing offered
    assert time.monotonic() - start < 10  # no connection was tried (that would retry for 10 s)


def test_another_folder_or_user_has_its_own_values(db_url: str, tmp_path: Path) -> None:
    add(db_url, "mine")
    assert bash_complete(db_url, "todo --user someone@example.com show ") == []
    assert bash_complete(db_url, "todo show ") == ["1"]


def test_install_completion_writes_the_script_for_bash(tmp_path: Path) -> None:
    home = tmp_path / "shell-home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "SHELL": "/bin/bash"}
    env["_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"] = "1"
    r = subprocess.run(
        [str(Path(BIN, "todo")), "--install-completion", "bash"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r
    assert "completion installed" in r.stdout.lower()
    bashrc = (home / ".bashrc").read_text()
    script = next(home.rglob("todo.sh"))
    assert str(script.relative_to(home)) in bashrc
    assert "_TODO_COMPLETE=complete_bash" in script.read_text()


@pytest.mark.parametrize(
    ("shell", "marker"), [("zsh", "compdef"), ("fish", "complete --command todo")]
)
def test_zsh_and_fish_scripts_are_offered(shell: str, marker: str) -> None:
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    r = subprocess.run(
        [str(Path(BIN, "todo")), "--show-completion", shell],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0 and marker in r.stdout, r
