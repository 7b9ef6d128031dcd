"""Task commands for the trash: delete, restore, trash, purge."""

from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli import render
from todo_cli.cli.options import (
    IdsArg,
    JsonOpt,
    PageOpt,
    PageSizeOpt,
    YesOpt,
    announce,
    confirm,
    next_page,
    print_page,
    runtime,
)
from todo_cli.rules import DEFAULT_PAGE_SIZE

if TYPE_CHECKING:
    from todo_cli.schemas import Page, TaskPublic

app = typer.Typer()


@app.command()
def delete(
    ctx: typer.Context,
    ids: IdsArg,
    hard: Annotated[
        bool, typer.Option("--hard", help="Remove for good, not to the trash.")
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Move tasks to the trash (`todo restore` brings them back), or --hard to remove them.

    Example: todo delete 3   ·   todo delete 3 4 --hard --yes
    """
    from todo_cli.services.tasks import writes

    rt = runtime(ctx)
    if hard:
        n = len(set(ids))
        confirm(f"Permanently delete {render.plural(n, 'task')}?", yes)
        count = writes.hard_delete(rt, ids)
        render.message(f"permanently deleted {render.plural(count, 'task')}")
        return
    for task in writes.soft_delete(rt, ids):
        render.message(
            f"deleted task {task.id}: {render.safe(task.title)} (todo restore {task.id})"
        )


@app.command()
def restore(ctx: typer.Context, ids: IdsArg) -> None:
    """Bring tasks back from the trash.

    Example: todo restore 3
    """
    from todo_cli.services.tasks import writes

    announce("restored", writes.restore(runtime(ctx), ids), False)


@app.command()
def trash(
    ctx: typer.Context,
    page: PageOpt = 1,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    json: JsonOpt = False,
) -> None:
    """List deleted tasks, most recently deleted first.

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
    hint = next_page(["trash"], {"page-size": size}, page)
    render.task_table(result, empty="the trash is empty", next_hint=hint)


@app.command()
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        int | None, typer.Option("--older-than", help="Only tasks deleted more than DAYS ago.")
    ] = None,
    yes: YesOpt = False,
) -> None:
    """Empty the trash for good.

    Example: todo purge --older-than 30 --yes
    """
    from todo_cli.services.tasks import writes

    rt = runtime(ctx)
    if not yes:
        n = writes.count_purgeable(rt, older_than)
        if n == 0:
            render.message("nothing to purge")
            return
        confirm(f"Permanently delete {render.plural(n, 'task')} from the trash?", yes)
    count = writes.purge(rt, older_than)
    render.message(f"purged {render.plural(count, 'task')}")
