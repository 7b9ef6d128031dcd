"""Task commands: add, list, show, edit, complete, reopen (the trash is in `task_trash`)."""

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli import render
from todo_cli.cli.common import (
    JsonOpt,
    PageOpt,
    PageSizeOpt,
    next_page,
    print_page,
    runtime,
)

if TYPE_CHECKING:
    from todo_cli.schemas import TaskPublic


class Priority(Enum):
    low = "low"
    medium = "medium"
    high = "high"


class Status(Enum):
    pending = "pending"
    completed = "completed"
    all = "all"


class Sort(Enum):
    created = "created"
    updated = "updated"
    due = "due"
    priority = "priority"
    title = "title"


DescOpt = Annotated[str | None, typer.Option("--description", "-d", help="Longer notes.")]
DueOpt = Annotated[
    str | None,
    typer.Option(
        "--due", help="Due date: 2026-12-01, 2026-12-01T09:00, today, tomorrow, +3d, +2w."
    ),
]
PriorityOpt = Annotated[Priority | None, typer.Option("--priority", "-p", help="Priority.")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Add a tag (repeatable).")]
IdsArg = Annotated[list[int], typer.Argument(help="Task ids.", show_default=False)]


def _due(value: str | None) -> Any:
    from todo_cli.when import parse_when

    return parse_when(value) if value is not None else None


def announce(verb: str, tasks: "list[TaskPublic]", json: bool) -> None:
    if json:
        from todo_cli.schemas import Page

        print_page(Page(tasks, len(tasks), 1, max(1, len(tasks))))
        return
    for task in tasks:
        render.message(f"{verb} task {task.id}: {render.safe(task.title)}")


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
    from todo_cli.services import tasks

    data = {"title": title, "description": description, "due": _due(due), "tags": tag or []}
    if priority is not None:
        data["priority"] = priority.value
    task = tasks.add(runtime(ctx), validate(TaskCreate, data))
    if json:
        render.print_json(task.to_json())
    else:
        render.message(f"added task {task.id}: {render.safe(task.title)}")


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
    page_size: PageSizeOpt = 20,
    json: JsonOpt = False,
) -> None:
    """List tasks, newest first, a page at a time.

    Example: todo list --status all -t work --sort due --page 2
    """
    from todo_cli.services import task_query

    q = task_query.TaskQuery(
        status=status.value,
        tag=tag,
        search=search,
        overdue=overdue,
        sort=sort.value,
        descending=None if asc is None else not asc,
        page=page,
        page_size=page_size,
    )
    result = task_query.list_tasks(runtime(ctx), q)
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
        "page-size": page_size if page_size != 20 else None,
    }
    filtered = tag or search or overdue
    empty = "no tasks match" if filtered else f"no {status.value} tasks".replace("no all ", "no ")
    render.task_table(result, empty=empty, next_hint=next_page(["list"], flags, page))


def show(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="Task id.")],
    json: JsonOpt = False,
) -> None:
    """Show one task in full.

    Example: todo show 42 --json
    """
    from todo_cli.services import tasks

    task = tasks.get(runtime(ctx), task_id)
    render.print_json(task.to_json()) if json else render.task_detail(task)


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
    from todo_cli.services import tasks

    if due is not None and no_due:
        raise BadInput("give --due or --no-due, not both")
    given: dict[str, Any] = {
        k: v
        for k, v in {
            "title": title,
            "description": description,
            "due": _due(due),
            "priority": priority.value if priority else None,
            "add_tags": tag,
            "remove_tags": untag,
        }.items()
        if v is not None
    }
    if no_due:
        given["clear_due"] = True
    task = tasks.edit(runtime(ctx), task_id, validate(TaskUpdate, given))
    if json:
        render.print_json(task.to_json())
    else:
        render.message(f"updated task {task.id}: {render.safe(task.title)}")


def complete(ctx: typer.Context, ids: IdsArg, json: JsonOpt = False) -> None:
    """Mark tasks done (all of them, or none if any id is wrong).

    Example: todo complete 3 4 5
    """
    from todo_cli.services import tasks

    announce("completed", tasks.complete(runtime(ctx), ids), json)


def reopen(ctx: typer.Context, ids: IdsArg, json: JsonOpt = False) -> None:
    """Mark done tasks as pending again.

    Example: todo reopen 3
    """
    from todo_cli.services import tasks

    announce("reopened", tasks.reopen(runtime(ctx), ids), json)


def register(app: typer.Typer) -> None:
    from todo_cli.cli.task_trash import delete, purge, restore, trash

    for fn, name in (
        (add, "add"),
        (list_, "list"),
        (show, "show"),
        (edit, "edit"),
        (complete, "complete"),
        (reopen, "reopen"),
        (delete, "delete"),
        (restore, "restore"),
        (trash, "trash"),
        (purge, "purge"),
    ):
        app.command(name)(fn)
