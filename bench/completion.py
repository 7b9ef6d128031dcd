"""Issue #15: completing a value (a task id) answers from the data dir within 0.3 s, without
contacting the database.

A scratch PostgreSQL database is reached only through bench/rtproxy.py with 50 ms added to
every round trip (a server across the internet). A few commands fill the data dir's
completion file; then <Tab> after `todo show ` is pressed the way bash does it: the script
`todo --show-completion bash` prints is sourced once, and its function `_todo_completion`
runs `todo` with `_TODO_COMPLETE=complete_bash`, `COMP_WORDS` and `COMP_CWORD`. The proxy
counts the connections that makes (it must be none), hyperfine times it, and `todo list`
through the same proxy is timed beside it to show what a database question costs there.

    .venv/bin/python bench/completion.py [--quick]
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    TODO,
    Cmd,
    Config,
    Row,
    Section,
    home,
    hyperfine,
    migrate,
    pg_scratch,
    run,
    standalone,
    todo,
    verdict,
)
from rtproxy import CountingProxy

LIMIT_S = 0.3
LATENCY_S = 0.050
TITLES = ("pay rent", "buy eggs", "call the bank", "fix the build", "plan the trip")


def _bash_script(tmp: Path, env: dict[str, str]) -> Path:
    out = run(
        [str(TODO), "--show-completion", "bash"],
        env=env | {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    ).stdout
    path = tmp / "todo-completion.bash"
    path.write_text(out, encoding="utf-8")
    return path


def _tab(script: Path, line: str) -> list[str]:
    """bash pressing <Tab> at the end of `line` (the function the sourced script defines)."""
    words = line.split(" ")
    body = (
        f"source {shlex.quote(str(script))}\n"
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_todo_completion todo\n"
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    return ["bash", "--norc", "--noprofile", "-c", body]


def main_run(cfg: Config, tmp: Path) -> Section:
    sec = Section("8. Completion: a task id from the data dir, the database 50 ms away")
    if not cfg.pg:
        sec.rows.append(Row("completion", "not run", "", "n/a", "PostgreSQL unreachable"))
        return sec
    with pg_scratch("compl") as direct:
        migrate(direct, tmp / "migrate-home")
        target = urlsplit(direct)
        with CountingProxy(
            target=(target.hostname or "127.0.0.1", target.port or 5432), latency=LATENCY_S
        ) as proxy:
            url = direct.replace(f":{target.port or 5432}/", f":{proxy.port}/")
            env = home(tmp, "completion") | {
                "DATABASE_URL": url,
                "PATH": f"{TODO.parent}:{os.environ['PATH']}",
            }
            for title in TITLES:
                run([str(TODO), "add", title], env=env)
            run([str(TODO), "list"], env=env)
            script = _bash_script(tmp, env)
            tab = _tab(script, "todo show ")
            proxy.wait_idle()
            proxy.reset()
            answer = run(tab, env=env).stdout.split()
            proxy.wait_idle()
            conns = proxy.snapshot().connections
            want = [str(i) for i in range(len(TITLES), 0, -1)]
            if sorted(answer) != sorted(want):
                raise RuntimeError(f"completion offered {answer}, want {want}")
            ts = hyperfine(
                [
                    Cmd("<Tab> after `todo show ` (bash, data dir)", tab, env),
                    Cmd(
                        "`todo list` (through the proxy, +50 ms a round trip)",
                        ["todo", "list"],
                        env,
                    ),
                ],
                runs=max(10, cfg.runs // 2),
                warmup=cfg.warmup,
                rounds=cfg.rounds,
            )
            proxy.wait_idle()
            proxy.reset()
            run(todo(url, "list"), env=env)
            proxy.wait_idle()
            list_trips = proxy.snapshot().round_trips
    sec.timings += ts
    tab_t, list_t = ts
    sec.rows.append(
        Row(
            "completion: <Tab> after `todo show ` (bash), database 50 ms away",
            f"{tab_t.fmt()} (median {tab_t.median * 1000:.0f} ms, max {tab_t.max * 1000:.0f} ms)",
            f"<= {LIMIT_S} s",
            verdict(tab_t.mean <= LIMIT_S),
            f"{conns} connections to the database (must be 0); offered {' '.join(answer)};"
            f" `todo list` there: {list_t.fmt()}, {list_trips} round trips",
        )
    )
    sec.notes.append(
        "the completion file is written by the commands that ran before (5 `add`, 1 `list`)"
        " in the data dir; the timed command includes bash sourcing the completion script"
    )
    return sec


if __name__ == "__main__":
    sys.exit(standalone(__doc__.splitlines()[0], main_run))
