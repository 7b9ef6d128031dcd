"""Real `llm` log databases for the import tests, made by the real `llm` and its `llm-echo` plugin.

Nothing here is written by hand: each database is what `llm` itself logs when it is run. Each
llm version lives in its own venv under ~/.cache/todo-tests/llm-<version> (override the folder
with TODO_TEST_CACHE), built on first use with `python -m venv` and pip from PyPI and reused
after that, so `pip install -e '.[dev]'` then `pytest` stays the whole set-up. Building a venv
needs the network; without it this raises (the tests that use it fail loudly, never skip).

- `old_db` : llm 0.31.1, the legacy schema only (`conversations`, `responses`).
- `new_db` : the newest llm, the content-addressed schema (`threads`, `turns`, `messages`, `parts`).
- `upgraded_db` : made by 0.31.1, then used by the newest llm, which migrates it and continues an
  old conversation: the old turns stay in `responses`, the whole history is also in the new tables.
  A copy from before the upgrade is left beside it as before-upgrade.db.
- `logs_json` : `llm logs --json` of a database.

Each llm gets its own LLM_USER_PATH in a temporary folder, so nothing of the user's is touched.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OLD = "0.31.1"
NEW = "0.36"
# What each venv holds besides llm. llm-echo 0.5 needs llm>=0.36 (it uses llm.parts); 0.4 works
# with llm>=0.26. llm 0.31.1 imports httpx, which openai 3 no longer brings, so it keeps openai 2.
EXTRAS = {OLD: ["llm-echo==0.4", "openai>=2.32,<3"], NEW: ["llm-echo==0.5"]}

# How long the last builds took, for the report of what CI spends here.
TIMINGS: dict[str, float] = {}


def cache_dir() -> Path:
    root = os.environ.get("TODO_TEST_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "todo-tests"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time per venv (pytest-xdist workers, two checkouts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def venv(version: str) -> Path:
    """The venv holding llm==version and its llm-echo, built from PyPI when missing."""
    where = cache_dir() / f"llm-{version}"
    ready = where / "todo-tests-ready"
    if ready.exists():
        return where
    with _locked(cache_dir() / f"llm-{version}.lock"):
        if ready.exists():
            return where
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(where)], check=True)
        pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q"]
        proc = subprocess.run(
            [*pip, "--disable-pip-version-check", f"llm=={version}", *EXTRAS[version]],
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            raise RuntimeError(
                f"could not install llm=={version} from PyPI (network?):\n{proc.stderr[-2000:]}"
            )
        ready.write_text(" ".join([f"llm=={version}", *EXTRAS[version]]) + "\n")
        TIMINGS[f"venv llm-{version}"] = time.perf_counter() - start
    return where


class Llm:
    """Runs one llm version's CLI with its own LLM_USER_PATH."""

    def __init__(self, version: str, user_dir: Path) -> None:
        self.version = version
        self.user_dir = user_dir
        self.bin = venv(version) / "bin" / "llm"

    @property
    def db(self) -> Path:
        return self.user_dir / "logs.db"

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "OPENAI"))}
        env["LLM_USER_PATH"] = str(self.user_dir)
        proc = subprocess.run(
            [str(self.bin), *args], env=env, input=stdin, capture_output=True, text=True
        )
        if proc.returncode:
            raise RuntimeError(f"llm {self.version} {args!r} failed:\n{proc.stderr}")
        return proc.stdout

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(sql))


def _old_conversations(llm: Llm, work: Path) -> None:
    """Three legacy conversations: multi-turn with a system prompt, a fragment, a tool call."""
    llm("-m", "echo", "-s", "You are terse.", "What is the capital of France?")
    llm("-c", "And of Spain?")
    first = str(llm.query("select id from conversations")[0][0])
    notes = work / "notes.txt"
    notes.write_text("Lisbon has seven hills.\n", encoding="utf-8")
    llm("-m", "echo", "-f", str(notes), "Summarise the notes")
    # Back to the first conversation by id, after another one was started.
    llm("--cid", first, "Thanks!")
    # llm-echo asks for the tools named in a JSON prompt; llm runs llm_version and sends the
    # result back, so one invocation logs two responses.
    llm(
        "-m",
        "echo",
        "-T",
        "llm_version",
        '{"prompt": "Which llm?", "tool_calls": [{"name": "llm_version"}]}',
    )


def old_db(work: Path) -> Path:
    """A logs.db written by llm 0.31.1 alone."""
    start = time.perf_counter()
    llm = Llm(OLD, work / "old")
    _old_conversations(llm, work)
    TIMINGS["old_db"] = time.perf_counter() - start
    return llm.db


def _new_conversations(llm: Llm, work: Path) -> None:
    llm("-m", "echo", "-s", "You are terse.", "What is the capital of Italy?")
    llm("-c", "And of Greece?")
    notes = work / "notes.txt"
    notes.write_text("Lisbon has seven hills.\n", encoding="utf-8")
    llm("-m", "echo", "-f", str(notes), "Summarise the notes")
    llm("-m", "echo", "-o", "thinking", "1", "Think first")
    llm(
        "-m",
        "echo",
        "-T",
        "llm_version",
        '{"prompt": "Which llm?", "tool_calls": [{"name": "llm_version"}]}',
    )


def new_db(work: Path) -> Path:
    """A logs.db written by the newest llm alone."""
    start = time.perf_counter()
    llm = Llm(NEW, work / "new")
    _new_conversations(llm, work)
    TIMINGS["new_db"] = time.perf_counter() - start
    return llm.db


def upgraded_db(work: Path) -> Path:
    """A logs.db made by 0.31.1 and then used (migrated, continued) by the newest llm."""
    start = time.perf_counter()
    user_dir = work / "upgraded"
    old = Llm(OLD, user_dir)
    _old_conversations(old, work)
    first = str(old.query("select id from conversations order by id")[0][0])
    # Kept as the old llm left it, to compare an import before and after the upgrade.
    shutil.copyfile(old.db, work / "before-upgrade.db")
    new = Llm(NEW, user_dir)
    new("--cid", first, "One more, from the new llm")
    new("-m", "echo", "A new conversation in the new llm")
    TIMINGS["upgraded_db"] = time.perf_counter() - start
    return new.db


def logs_json(version: str, db: Path, user_dir: Path) -> str:
    """`llm logs --json` of every logged response in db, as that llm prints it."""
    out = Llm(version, user_dir)("logs", "--json", "-n", "0", "-d", str(db))
    json.loads(out)  # fail here, not in the test, if llm printed something else
    return out
