"""The trash: delete (rm), restore, trash, purge."""

from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli import render, render_tasks
from todo_cli.cli.options import (
    JsonOpt,
    PageOpt,
    PageSizeOpt,
    YesOpt,
    confirm,
    next_page,
    print_page,
    runtime,
)
from todo_cli.cli.selection import (
    Filters,
    OverdueFilter,
    ProjectFilter,
    SearchFilter,
    TagFilter,
    chosen,
    question,
)
from todo_cli.cli.state import IdsOpt, report
from todo_cli.rules import DEFAULT_PAGE_SIZE

if TYPE_CHECKING:
    from todo_cli.schemas import Page
    from todo_cli.task_schemas import TaskPublic

app = typer.Typer()


def delete(
    ctx: typer.Context,
    ids: IdsOpt = None,
    tag: TagFilter = None,
    project: ProjectFilter = None,
    search: SearchFilter = None,
    overdue: OverdueFilter = False,
    hard: Annotated[
        bool, typer.Option("--hard", help="Remove for good, not to the trash (asks first).")
    ] = False,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Move tasks to the trash (--hard: for good).

    `todo restore` brings them back from the trash.

    Deleting an instance of a recurrence brings the next one; deleting its template ends it.

    Example: todo delete 3   ·   todo rm 3 4 --hard --yes   ·   todo delete --tag old
    """
    from todo_cli.services.tasks import editing, listing, writes

    rt = runtime(ctx)
    filters = Filters(tag=tag, project=project, search=search, overdue=overdue)
    wanted = chosen(ctx, ids, filters, "delete", yes or hard)
    if hard:
        many = render.plural(len(set(wanted)), "task")
        confirm(question(f"Permanently delete {many}", listing.named(rt, wanted)), yes)
        count = editing.hard_delete(rt, wanted)
        render.message(f"permanently deleted {render.plural(count, 'task')}")
        return
    outcome = writes.soft_delete(rt, wanted)
    if json:
        report(outcome, "deleted", "deleted", True)
        return
    for task in outcome.changed:
        render.message(
            f"deleted task {task.id}: {render.safe(task.title)} (todo restore {task.id})"
        )
    report(type(outcome)(added=outcome.added), "", "", False)


app.command("delete")(delete)
app.command("rm", help="Same as `delete`: move tasks to the trash.")(delete)


@app.command()
def restore(ctx: typer.Context, ids: IdsOpt = None, json: JsonOpt = False) -> None:
    """Bring tasks back from the trash.

    Example: todo restore 3
    """
    from todo_cli.errors import BadInput
    from todo_cli.services.tasks import writes

    if not ids:
        raise BadInput("say which tasks to restore: their ids (todo trash lists them)")
    report(writes.restore(runtime(ctx), ids), "restored", "restored", json)


@app.command()
def trash(
    ctx: typer.Context,
    page: PageOpt = 1,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    json: JsonOpt = False,
) -> None:
    """List deleted tasks, latest deleted first.

    Example: todo trash
    """
    from todo_cli.choices import Status
    from todo_cli.services.tasks import listing

    q = listing.TaskQuery(status=Status.all, trash=True, page=page, page_size=page_size)
    result: Page[TaskPublic] = listing.list_tasks(runtime(ctx), q)
    if json:
        print_page(result)
        return
    size = page_size if page_size != DEFAULT_PAGE_SIZE else None
    hint = next_page(ctx, ["trash"], {"page-size": size}, page)
    render_tasks.task_table(result, empty="the trash is empty", next_hint=hint)


@app.command()
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        int | None, typer.Option("--older-than", help="Only tasks deleted more than DAYS ago.")
    ] = None,
    yes: YesOpt = False,
) -> None:
    """Empty the trash for good (asks first).

    Example: todo purge --older-than 30 --yes
    """
    from todo_cli.services.tasks import editing

    rt = runtime(ctx)
    if not yes:
        n, first = editing.purgeable(rt, older_than)
        if n == 0:
            render.message("nothing to purge")
            return
        many = f"Permanently delete {render.plural(n, 'task')} from the trash"
        confirm(question(many, first, n), yes)
    count = editing.purge(rt, older_than)
    render.message(f"purged {render.plural(count, 'task')}")
