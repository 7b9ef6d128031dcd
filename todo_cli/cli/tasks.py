"""Task commands: add, list, show, edit, complete, reopen (the trash is in `trash.py`)."""

from typing import Annotated, Any

import typer

from todo_cli import render
from todo_cli.choices import Priority, Sort, Status
from todo_cli.cli.options import (
    IdsArg,
    JsonOpt,
    PageOpt,
    PageSizeOpt,
    announce,
    next_page,
    print_page,
    runtime,
)
from todo_cli.rules import DEFAULT_PAGE_SIZE

app = typer.Typer()

DescOpt = Annotated[str | None, typer.Option("--description", "-d", help="Longer notes.")]
DueOpt = Annotated[
    str | None,
    typer.Option(
        "--due", help="Due date: 2026-12-01, 2026-12-01T09:00, today, tomorrow, +3d, +2w."
    ),
]
PriorityOpt = Annotated[Priority | None, typer.Option("--priority", "-p", help="Priority.")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Add a tag (repeatable).")]


def _due(value: str | None) -> Any:
    from todo_cli.when import parse_when

    return parse_when(value) if value is not None else None


@app.command()
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What to do (1-200 characters).")],
    description: DescOpt = None,
    due: DueOpt = None,
    priority: PriorityOpt = None,
    tag: TagOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add a task.

    Example: todo add "buy milk" --due tomorrow -p high -t home
    """
    from todo_cli.schemas import TaskCreate, validate
    from todo_cli.services.tasks import writes

    data = {"title": title, "description": description, "due": _due(due), "tags": tag or []}
    if priority is not None:
        data["priority"] = priority
    task = writes.add(runtime(ctx), validate(TaskCreate, data))
    if json:
        render.print_json(task.to_json())
    else:
        render.message(f"added task {task.id}: {render.safe(task.title)}")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Status, typer.Option("--status", help="Which tasks.")] = Status.pending,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="Only tasks with this tag.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Text in the title or description.")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only pending tasks past due.")
    ] = False,
    sort: Annotated[Sort, typer.Option("--sort", help="Order by this field.")] = Sort.created,
    asc: Annotated[
        bool | None,
        typer.Option("--asc/--desc", help="Direction (default: newest, soonest, highest first)."),
    ] = None,
    page: PageOpt = 1,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    json: JsonOpt = False,
) -> None:
    """List tasks, newest first, a page at a time.

    Example: todo list --status all -t work --sort due --page 2
    """
    from todo_cli.services.tasks import listing

    q = listing.TaskQuery(
        status=status,
        tag=tag,
        search=search,
        overdue=overdue,
        sort=sort,
        descending=None if asc is None else not asc,
        page=page,
        page_size=page_size,
    )
    result = listing.list_tasks(runtime(ctx), q)
    if json:
        print_page(result)
        return
    flags: dict[str, Any] = {
        "status": status.value if status != Status.pending else None,
        "tag": tag,
        "search": search,
        "overdue": overdue,
        "sort": sort.value if sort != Sort.created else None,
        "asc": asc is True,
        "desc": asc is False,
        "page-size": page_size if page_size != DEFAULT_PAGE_SIZE else None,
    }
    filtered = tag or search or overdue
    empty = "no tasks match" if filtered else f"no {status.value} tasks".replace("no all ", "no ")
    render.task_table(result, empty=empty, next_hint=next_page(["list"], flags, page))


@app.command()
def show(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="Task id.")],
    json: JsonOpt = False,
) -> None:
    """Show one task in full.

    Example: todo show 42 --json
    """
    from todo_cli.services.tasks import listing

    task = listing.get(runtime(ctx), task_id)
    render.print_json(task.to_json()) if json else render.task_detail(task)


@app.command()
def edit(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="Task id.")],
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    description: DescOpt = None,
    due: DueOpt = None,
    no_due: Annotated[bool, typer.Option("--no-due", help="Remove the due date.")] = False,
    priority: PriorityOpt = None,
    tag: TagOpt = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", help="Remove a tag (repeatable).")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Change a task; only what you give changes.

    Example: todo edit 42 --title "buy oat milk" --no-due -t errands --untag home
    """
    from todo_cli.errors import BadInput
    from todo_cli.schemas import TaskUpdate, validate
    from todo_cli.services.tasks import writes

    if due is not None and no_due:
        raise BadInput("give --due or --no-due, not both")
    given: dict[str, Any] = {
        k: v
        for k, v in {
            "title": title,
            "description": description,
            "due": _due(due),
            "priority": priority,
            "add_tags": tag,
            "remove_tags": untag,
        }.items()
        if v is not None
    }
    if no_due:
        given["clear_due"] = True
    task = writes.edit(runtime(ctx), task_id, validate(TaskUpdate, given))
    if json:
        render.print_json(task.to_json())
    else:
        render.message(f"updated task {task.id}: {render.safe(task.title)}")


@app.command()
def complete(ctx: typer.Context, ids: IdsArg, json: JsonOpt = False) -> None:
    """Mark tasks done (all of them, or none if any id is wrong).

    Example: todo complete 3 4 5
    """
    from todo_cli.services.tasks import writes

    announce("completed", writes.complete(runtime(ctx), ids), json)


@app.command()
def reopen(ctx: typer.Context, ids: IdsArg, json: JsonOpt = False) -> None:
    """Mark done tasks as pending again.

    Example: todo reopen 3
    """
    from todo_cli.services.tasks import writes

    announce("reopened", writes.reopen(runtime(ctx), ids), json)
