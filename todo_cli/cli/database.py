"""`todo db ...`: schema migrations and database administration."""

from typing import Annotated

import typer

from todo_cli import render
from todo_cli.cli.options import JsonOpt, YesOpt, confirm, runtime
from todo_cli.cli.suggest import SuggestingGroup

app = typer.Typer(
    cls=SuggestingGroup,
    help="Migrate, check and seed the database.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

SqlOpt = Annotated[
    bool, typer.Option("--sql", help="Print the SQL instead of running it (nothing is touched).")
]
LockTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        min=0,
        help="PostgreSQL: wait at most this long for another migration's lock, then exit 1.",
    ),
]


def _rev(value: str | None) -> str:
    return value or "(none)"


@app.command()
def migrate(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Option("--revision", "-r", help="Target revision.", show_default=True)
    ] = "head",
    sql: SqlOpt = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Change nothing; exit 1 if migrations are pending, 0 at head."
        ),
    ] = False,
    lock_timeout: LockTimeoutOpt = 60.0,
) -> None:
    """Upgrade the schema to the latest revision. Safe to run again; concurrent runs queue.

    The revisions are applied once however many runs start at the same time. On Neon this
    uses DATABASE_URL_DIRECT, or the direct host derived from a -pooler URL.

    Example: DATABASE_URL=postgresql://... todo db migrate

    Example (a CI gate): todo db migrate --check
    """
    from todo_cli.services.database import migrations

    rt = runtime(ctx)
    if check:
        state = migrations.current(rt)
        if state.after == state.head:
            render.message(f"at head ({state.head})")
            return
        render.message(f"pending: {_rev(state.after)} -> {state.head} (run: todo db migrate)")
        raise typer.Exit(1)
    target = rt.admin_target()
    if sql:
        render.message(migrations.sql_script(target, revision, upgrade=True).rstrip())
        return
    result = migrations.migrate(rt, revision, lock_timeout=lock_timeout, on_wait=render.note)
    if result.changed:
        render.message(f"migrated {target.display}: {_rev(result.before)} -> {_rev(result.after)}")
    elif result.after == result.head:
        render.message(f"already at head ({result.head}); nothing to do")
    else:
        render.message(f"already at {_rev(result.after)}; nothing to do")


@app.command()
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision; `base` removes all tables.")],
    sql: SqlOpt = False,
    yes: YesOpt = False,
    lock_timeout: LockTimeoutOpt = 60.0,
) -> None:
    """Downgrade the schema to REVISION.

    Asks first if that drops anything holding rows.

    `base` drops every table todo created. With no terminal to ask on, pass --yes.

    Example: todo db downgrade 0004   ·   todo db downgrade base --yes
    """
    from todo_cli.services.database import migrations

    rt = runtime(ctx)
    target = rt.admin_target()
    if sql:
        render.message(migrations.sql_script(target, revision, upgrade=False).rstrip())
        return
    if not yes:
        losses = migrations.drops(rt, revision)
        if losses:
            lost = ", ".join(
                f"{loss.what} ({render.plural(loss.rows, 'value' if '.' in loss.what else 'row')})"
                for loss in losses
            )
            confirm(f"Downgrading {target.display} to {revision} drops {lost}. Go ahead?", yes)
    result = migrations.downgrade(rt, revision, lock_timeout=lock_timeout, on_wait=render.note)
    if result.changed:
        render.message(
            f"downgraded {target.display}: {_rev(result.before)} -> {_rev(result.after)}"
        )
    else:
        render.message(f"already at {_rev(result.after)}; nothing to do")


@app.command()
def current(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Show the revision of the schema.

    And the one this version of todo expects.

    Example: todo db current
    """
    from todo_cli.services.database import migrations

    rt = runtime(ctx)
    result = migrations.current(rt)
    if json:
        display = rt.admin_target().display
        render.print_json({"database": display, "current": result.after, "head": result.head})
        return
    if result.after == result.head:
        render.message(f"{result.head} (head)")
    else:
        render.message(f"{_rev(result.after)} (head is {result.head}; run: todo db migrate)")


@app.command()
def history(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the schema revisions, newest first.

    The current one is marked.

    Example: todo db history
    """
    from todo_cli.services.database import migrations

    revisions = migrations.history(runtime(ctx))
    if json:
        render.print_json([r.__dict__ for r in revisions])
        return
    for r in revisions:
        marks = [m for m, on in (("head", r.is_head), ("current", r.is_current)) if on]
        suffix = f" ({', '.join(marks)})" if marks else ""
        render.message(f"{_rev(r.down_revision)} -> {r.revision}{suffix}, {r.message}")


@app.command()
def health(
    ctx: typer.Context,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after this many seconds.", min=0.1)
    ] = 15.0,
    warn_ms: Annotated[
        float, typer.Option("--warn-ms", help="WARNING when the query is slower than this.")
    ] = 1000.0,
    warn_connect_ms: Annotated[
        float,
        typer.Option(
            "--warn-connect-ms",
            help="WARNING when connecting takes longer than this (a cold start, say).",
        ),
    ] = 2000.0,
    json: JsonOpt = False,
) -> None:
    """Check the database, for monitoring.

    Exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

    WARNING: slow to connect or to answer, or migrations pending. CRITICAL: unreachable,
    authentication failed, timed out. UNKNOWN: misconfigured (a bad URL, option or setting).

    Example (crontab): */5 * * * * todo db health --timeout 20 || alert-me
    """
    from todo_cli.services.database import health as svc

    result = svc.check(
        runtime(ctx), timeout_s=timeout, warn_ms=warn_ms, warn_connect_ms=warn_connect_ms
    )
    if json:
        render.print_json(result.to_json())
    else:
        render.message(f"{result.status.upper()} - {result.summary}")
    raise typer.Exit(result.exit_code)


@app.command()
def seed(
    ctx: typer.Context,
    users: Annotated[int, typer.Option("--users", min=1, help="Users to create.")] = 3,
    tasks: Annotated[int, typer.Option("--tasks", min=0, help="Tasks per user.")] = 20,
    conversations: Annotated[
        int, typer.Option("--conversations", min=0, help="Conversations per user.")
    ] = 3,
    messages: Annotated[
        int, typer.Option("--messages", min=0, help="Messages per conversation.")
    ] = 6,
) -> None:
    """Add demo data (a rerun adds nothing).

    Users seed-0001 and on, with their tasks and conversations.

    Larger numbers build benchmark data. One transaction: all or nothing.

    Example: todo db seed --users 10 --tasks 100000 --conversations 10 --messages 1000
    """
    from todo_cli.services.database import seed as svc

    plan = svc.SeedPlan(users, tasks, conversations, messages)
    with render.progress(plan.total_rows, "seeding") as advance:
        done = svc.seed(runtime(ctx), plan, advance)
    render.message(
        f"seeded {done.users} users, {done.tasks} tasks, {done.conversations} conversations, "
        f"{done.messages} messages (existing seed rows were kept)"
    )
