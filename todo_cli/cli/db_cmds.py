"""`todo db ...`: schema migrations and database administration."""

from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli import render

if TYPE_CHECKING:
    from todo_cli.services.runtime import Runtime

app = typer.Typer(
    help="Migrate and inspect the database schema.", no_args_is_help=True, rich_markup_mode=None
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
SqlOpt = Annotated[
    bool, typer.Option("--sql", help="Print the SQL instead of running it (nothing is touched).")
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
) -> None:
    """Upgrade the schema to the latest revision (or --revision). Safe to run again, and
    concurrent runs queue on a lock: the revisions are applied once.

    On Neon this uses DATABASE_URL_DIRECT, or the direct host derived from a -pooler URL.

    Example: DATABASE_URL=postgresql://... todo db migrate

    Example (a CI gate): todo db migrate --check
    """
    from todo_cli.services import migrations

    rt: Runtime = ctx.obj
    target = rt.admin_target()
    if check:
        state = migrations.current(target)
        if state.after == state.head:
            render.message(f"at head ({state.head})")
            return
        render.message(f"pending: {_rev(state.after)} -> {state.head} (run: todo db migrate)")
        raise typer.Exit(1)
    if sql:
        render.message(migrations.sql_script(target, revision, upgrade=True).rstrip())
        return
    result = migrations.migrate(target, revision)
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
) -> None:
    """Downgrade the schema to REVISION (use `base` to drop everything todo created).

    Example: todo db downgrade base
    """
    from todo_cli.services import migrations

    rt: Runtime = ctx.obj
    target = rt.admin_target()
    if sql:
        render.message(migrations.sql_script(target, revision, upgrade=False).rstrip())
        return
    result = migrations.downgrade(target, revision)
    if result.changed:
        render.message(
            f"downgraded {target.display}: {_rev(result.before)} -> {_rev(result.after)}"
        )
    else:
        render.message(f"already at {_rev(result.after)}; nothing to do")


@app.command()
def current(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Show the schema revision of the database and the one this version of todo expects.

    Example: todo db current
    """
    from todo_cli.services import migrations

    rt: Runtime = ctx.obj
    target = rt.admin_target()
    result = migrations.current(target)
    if json:
        render.print_json(
            {"database": target.display, "current": result.after, "head": result.head}
        )
        return
    if result.after == result.head:
        render.message(f"{result.head} (head)")
    else:
        render.message(f"{_rev(result.after)} (head is {result.head}; run: todo db migrate)")


@app.command()
def history(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List every schema revision, newest first, marking the current one.

    Example: todo db history
    """
    from todo_cli.services import migrations

    rt: Runtime = ctx.obj
    revisions = migrations.history(rt.admin_target())
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
    json: JsonOpt = False,
) -> None:
    """Check the database for monitoring: exit 0 OK, 1 WARNING (slow, or migrations pending),
    2 CRITICAL (unreachable, auth failed, timed out), 3 UNKNOWN (misconfigured).

    Example (crontab): */5 * * * * todo db health --timeout 20 || alert-me
    """
    from todo_cli.errors import TodoError
    from todo_cli.services import health as svc

    rt: Runtime = ctx.obj
    try:
        target = rt.target
        result = svc.check(target, timeout_s=timeout, warn_ms=warn_ms)
    except TodoError as e:  # a bad URL or setting: the check itself cannot run
        result = svc.unknown("(unresolved)", e.message)
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
    """Add demo data (users seed-0001..., with tasks and conversations). Running it again adds
    nothing; larger numbers build benchmark data. One transaction: all or nothing.

    Example: todo db seed --users 10 --tasks 100000 --conversations 10 --messages 1000
    """
    from todo_cli.services import seed as svc

    rt: Runtime = ctx.obj
    plan = svc.SeedPlan(users, tasks, conversations, messages)
    with render.progress(plan.total_rows, "seeding") as advance:
        done = svc.seed(rt, plan, advance)
    render.message(
        f"seeded {done.users} users, {done.tasks} tasks, {done.conversations} conversations, "
        f"{done.messages} messages (existing seed rows were kept)"
    )
