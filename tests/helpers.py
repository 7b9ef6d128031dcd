"""Shared helpers for CLI tests: run through CliRunner or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from typer.testing import CliRunner

from todo_cli.cli.app import app


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `todo ARGS` in-process through Typer's CliRunner."""
    result = CliRunner().invoke(app, list(args), input=input, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def proc(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `python -m todo_cli ARGS` as a real subprocess, with the test's environment."""
    full_env = {**os.environ, **(env or {})}
    p = subprocess.run(
        [sys.executable, "-m", "todo_cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    return Run(p.returncode, p.stdout, p.stderr)
