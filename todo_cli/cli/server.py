"""`todo server ...`: the background command server that makes commands answer fast."""

import time
from datetime import datetime

import typer

from todo_cli import render
from todo_cli.cli.options import JsonOpt
from todo_cli.cli.suggest import SuggestingGroup

app = typer.Typer(
    cls=SuggestingGroup,
    help=(
        "See or stop the background command server.\n\n"
        "Commands in a terminal run in a process that has todo loaded already. "
        "TODO_SERVER=off never uses one, TODO_SERVER=on also outside terminals."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
STOP_WAIT = 15.0  # seconds: a server finishes the commands it runs before it exits


@app.command()
def status(json: JsonOpt = False) -> None:
    """Whether the server runs, and since when.

    Also its pid, how many commands it served and its spare worker.

    Example: todo server status --json
    """
    from todo_cli import client

    info = client.control("status") or {"running": False}
    if json:
        render.print_json(info)
        return
    if not info.get("running"):
        render.message("server: not running (the next command in a terminal starts it)")
        return
    since = datetime.fromisoformat(str(info["since"])).astimezone()
    render.message(
        f"server: running, pid {info['pid']}, since {since:%Y-%m-%d %H:%M:%S}, "
        f"{render.plural(int(info['commands']), 'command')} served"
    )
    spare = "connected to the last database" if info.get("spare_connected") else "waiting"
    if info.get("spare_worker"):
        render.message(f"spare worker: pid {info['spare_worker']}, {spare}")
    render.message(f"idle exit after: {info['idle_exit_seconds']:g} s")


@app.command()
def stop() -> None:
    """Stop the server (after the commands it runs).

    The next command in a terminal starts a new one.

    Example: todo server stop
    """
    from todo_cli import client

    reply = client.control("stop")
    if reply is None:
        render.message("server: not running")
        return
    pid = int(reply["pid"])
    deadline = time.monotonic() + STOP_WAIT
    while client.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    render.message(f"stopped the server (pid {pid})")
