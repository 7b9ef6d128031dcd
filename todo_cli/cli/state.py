"""Changing the state of tasks, by id or by filter: complete (done), reopen, start, stop.

More than one task chosen by a filter is listed and asked about first (`--yes` skips that).
"""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli import completion, render
from todo_cli.cli.options import JsonOpt, YesOpt, print_page, runtime
from todo_cli.cli.selection import (
    BlockedFilter,
    Filters,
    OverdueFilter,
    ProjectFilter,
    SearchFilter,
    TagFilter,
    chosen,
)

if TYPE_CHECKING:
    from todo_cli.services.tasks.writes import Outcome

app = typer.Typer()

IdsOpt = Annotated[
    list[int] | None,
    typer.Argument(
        metavar="[ID]...",
        help="Task ids (or filter options).",
        show_default=False,
        autocompletion=completion.task_ids,
    ),
]


def report(outcome: "Outcome", verb: str, already: str, json: bool) -> None:
    """What changed, what already was so (exit 0 either way), and what a change brought."""
    if json:
        from todo_cli.schemas import Page

        tasks = sorted(outcome.changed + outcome.unchanged, key=lambda t: t.id) + outcome.added
        print_page(Page(tasks, len(tasks), 1, max(1, len(tasks))))
        return
    changed = {t.id for t in outcome.changed}
    for task in sorted(outcome.changed + outcome.unchanged, key=lambda t: t.id):
        if task.id in changed:
            render.message(f"{verb} task {task.id}: {render.safe(task.title)}")
        else:
            render.message(f"task {task.id} was already {already}: {render.safe(task.title)}")
    for task in outcome.added:
        due = f", due {render.when(task.due)}" if task.due else ""
        render.message(f"next: task {task.id}: {render.safe(task.title)}{due}")


def _change(
    ctx: typer.Context, ids: list[int] | None, filters: Filters, yes: bool, name: str
) -> "Outcome":
    from todo_cli.services.tasks import writes

    apply: Any = getattr(writes, name)
    return apply(runtime(ctx), chosen(ctx, ids, filters, name, yes))  # type: ignore[no-any-return]


def complete(
    ctx: typer.Context,
    ids: IdsOpt = None,
    tag: TagFilter = None,
    project: ProjectFilter = None,
    search: SearchFilter = None,
    overdue: OverdueFilter = False,
    blocked: BlockedFilter = None,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Mark tasks done.

    All of them, or none if any id is wrong.

    Completing an instance of a recurrence brings the next one.

    Example: todo complete 3 4 5   ·   todo done --tag shop --overdue
    """
    filters = Filters(tag=tag, project=project, search=search, overdue=overdue, blocked=blocked)
    report(_change(ctx, ids, filters, yes, "complete"), "completed", "completed", json)


app.command("complete")(complete)
app.command("done", help="Same as `complete`: mark tasks done.")(complete)


@app.command()
def reopen(
    ctx: typer.Context,
    ids: IdsOpt = None,
    tag: TagFilter = None,
    project: ProjectFilter = None,
    search: SearchFilter = None,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Mark done tasks as pending again.

    Example: todo reopen 3
    """
    from todo_cli.choices import Status

    filters = Filters(Status.completed, tag=tag, project=project, search=search)
    report(_change(ctx, ids, filters, yes, "reopen"), "reopened", "pending", json)


@app.command()
def start(
    ctx: typer.Context,
    ids: IdsOpt = None,
    tag: TagFilter = None,
    project: ProjectFilter = None,
    search: SearchFilter = None,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Mark tasks active: you are working on them.

    `list` shows them as such.

    Example: todo start 3
    """
    filters = Filters(tag=tag, project=project, search=search)
    report(_change(ctx, ids, filters, yes, "start"), "started", "started", json)


@app.command()
def stop(
    ctx: typer.Context,
    ids: IdsOpt = None,
    tag: TagFilter = None,
    project: ProjectFilter = None,
    search: SearchFilter = None,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Mark active tasks as not started any more.

    Example: todo stop 3
    """
    filters = Filters(tag=tag, project=project, search=search)
    report(_change(ctx, ids, filters, yes, "stop"), "stopped", "stopped", json)
