"""Notes on tasks (annotate, denotate) and taking a change back (undo)."""

from typing import Annotated

import typer

from todo_cli import completion, render
from todo_cli.cli.options import JsonOpt, YesOpt, confirm, read_stdin, runtime
from todo_cli.cli.state import report

app = typer.Typer()

IdArg = Annotated[
    int, typer.Argument(metavar="ID", help="Task id.", autocompletion=completion.task_ids)
]


@app.command()
def annotate(
    ctx: typer.Context,
    task_id: IdArg,
    text: Annotated[str, typer.Argument(metavar="TEXT|-", help="The note, or - for stdin.")],
    json: JsonOpt = False,
) -> None:
    """Add a timestamped note to a task.

    `show` lists the notes under the task.

    Example: todo annotate 3 "called them, they ring back on Monday"
    """
    from todo_cli.services.tasks import editing

    note = read_stdin() if text == "-" else text
    report(editing.annotate(runtime(ctx), task_id, note), "annotated", "annotated", json)


@app.command()
def denotate(
    ctx: typer.Context,
    task_id: IdArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note, or how it starts.")],
    json: JsonOpt = False,
) -> None:
    """Remove a note from a task.

    The note with this text, or the only one starting with it.

    Example: todo denotate 3 "called them"
    """
    from todo_cli.services.tasks import editing

    report(editing.denotate(runtime(ctx), task_id, text), "denotated", "denotated", json)


@app.command()
def undo(
    ctx: typer.Context,
    list_: Annotated[bool, typer.Option("--list", help="Show what can be undone.")] = False,
    yes: YesOpt = False,
) -> None:
    """Undo your latest change.

    Any change recorded: add, edit, complete, delete, import and the rest.

    Run it again to undo the change before. If a task was changed since by something that
    did not record it (another program on the same database), it asks first.

    Example: todo undo --list   ·   todo undo
    """
    from todo_cli.services.tasks import journal

    rt = runtime(ctx)
    if list_:
        changes = journal.recent(rt)
        if not changes:
            render.message("nothing to undo")
            return
        render.table(
            None,
            ["When", "Change", "Tasks"],
            [[render.when(c.at), c.command, f"{c.tasks:,}"] for c in changes],
        )
        return
    plan = journal.plan(rt)
    if plan.changed_since:
        confirm(
            f"Undo '{plan.summary.command}'? {len(plan.changed_since)} of its tasks changed "
            "since, and undoing puts them back as they were before it",
            yes,
        )
    done = journal.undo(rt, plan.summary.change)
    render.message(f"undid '{render.safe(done.command)}' ({render.plural(done.tasks, 'task')})")
