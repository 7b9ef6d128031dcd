"""Task commands: add, list, show (info), edit (modify). Their options are in
`task_options.py`, changes of state in `state.py`, the trash in `trash.py`, notes and undo in
`notes.py`."""

from typing import Annotated, Any

import typer

from todo_cli import completion, render, render_tasks
from todo_cli.choices import Sort, Status
from todo_cli.cli.options import JsonOpt, PageOpt, PageSizeOpt, next_page, print_page, runtime
from todo_cli.cli.selection import (
    BlockedFilter,
    Filters,
    OverdueFilter,
    ProjectFilter,
    SearchFilter,
    StatusFilter,
    TagFilter,
)
from todo_cli.cli.task_options import (
    DependsOpt,
    DescOpt,
    DueOpt,
    PriorityOpt,
    ProjectOpt,
    RecurOpt,
    ScheduledOpt,
    TagOpt,
    UntilOpt,
    WaitOpt,
    WordsArg,
    fields,
)
from todo_cli.errors import BadInput
from todo_cli.rules import DEFAULT_PAGE_SIZE

app = typer.Typer()


@app.command()
def add(
    ctx: typer.Context,
    words: WordsArg,
    description: DescOpt = None,
    due: DueOpt = None,
    priority: PriorityOpt = None,
    tag: TagOpt = None,
    project: ProjectOpt = None,
    wait: WaitOpt = None,
    scheduled: ScheduledOpt = None,
    until: UntilOpt = None,
    recur: RecurOpt = None,
    depends: DependsOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add a task (a recurring one with --recur).

    Example: todo add buy eggs due:tomorrow +shop pri:H project:Home

    Example: todo add "water the plants" --due saturday --recur weekly
    """
    from todo_cli.schemas import validate
    from todo_cli.services.tasks import writes
    from todo_cli.task_schemas import TaskCreate

    title, data = fields(
        ctx, words, description=description, due=due, priority=priority, tags=tag,
        project=project, wait=wait, scheduled=scheduled, until=until, recur=recur,
        depends=depends,
    )  # fmt: skip
    if data.get("priority") == "none":
        del data["priority"]
    made = writes.add(runtime(ctx), validate(TaskCreate, {"title": title, **data}))
    task = made[-1]  # a recurrence: its first instance (the template comes first)
    if json:
        render.print_json(task.to_json())
        return
    render.message(f"added task {task.id}: {render.safe(task.title)}")
    if len(made) > 1:
        render.message(f"  recurs {made[0].recur} (its template is task {made[0].id})")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: StatusFilter = Status.pending,
    tag: TagFilter = None,
    project: ProjectFilter = None,
    search: SearchFilter = None,
    overdue: OverdueFilter = False,
    blocked: BlockedFilter = None,
    sort: Annotated[
        Sort,
        typer.Option("--sort", help="Order by this field (urgency: see `todo show --help`)."),
    ] = Sort.created,
    asc: Annotated[
        bool | None,
        typer.Option("--asc/--desc", help="Direction (default: newest, soonest, highest first)."),
    ] = None,
    page: PageOpt = 1,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    json: JsonOpt = False,
) -> None:
    """List tasks, a page at a time.

    Newest first; waiting ones only with --status waiting.

    Example: todo list --project Home --sort urgency

    Example: todo list --status all -t work --sort due --page 2
    """
    from todo_cli.services.tasks import listing

    chosen = Filters(status, tag, project, search, overdue, blocked)
    q = chosen.query(
        sort=sort, descending=None if asc is None else not asc, page=page, page_size=page_size
    )
    result = listing.list_tasks(runtime(ctx), q)
    if json:
        print_page(result)
        return
    flags: dict[str, Any] = {
        "status": status.value if status != Status.pending else None,
        "tag": tag,
        "project": project,
        "search": search,
        "overdue": overdue,
        "blocked": blocked is True,
        "unblocked": blocked is False,
        "sort": sort.value if sort != Sort.created else None,
        "asc": asc is True,
        "desc": asc is False,
        "page-size": page_size if page_size != DEFAULT_PAGE_SIZE else None,
    }
    empty = (
        "no tasks match" if chosen.given else f"no {status.value} tasks".replace("no all ", "no ")
    )
    render_tasks.task_table(result, empty=empty, next_hint=next_page(ctx, ["list"], flags, page))


def show(
    ctx: typer.Context,
    task_id: Annotated[
        int, typer.Argument(metavar="ID", help="Task id.", autocompletion=completion.task_ids)
    ],
    json: JsonOpt = False,
) -> None:
    """Show one task in full.

    Its notes, dependencies, dates and urgency.

    Urgency adds: priority high 6.0, medium 3.9, low 1.8; tag `next` 15.0; blocking another
    task 8.0; scheduled 5.0; started 4.0; a project 1.0; tags and annotations 0.8, 0.9, 1.0
    for 1, 2, 3 or more; blocked -5.0; due 12.0 x (1.0 from 7 days overdue to 0.2 from 14
    days ahead); age 2.0 x years, at most 1.

    Example: todo show 42 --json
    """
    from todo_cli.services.tasks import listing

    task = listing.get(runtime(ctx), task_id)
    render.print_json(task.to_json()) if json else render_tasks.task_detail(task)


app.command("show")(show)
app.command("info", help="Same as `show`: one task in full.")(show)


def edit(
    ctx: typer.Context,
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="ID... [WORDS...]",
            help="Task ids, then what to change: words for a new title and attributes "
            "(due:friday +tag pri:L project:Home).",
            show_default=False,
            autocompletion=completion.task_ids,
        ),
    ],
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    description: DescOpt = None,
    due: DueOpt = None,
    no_due: Annotated[bool, typer.Option("--no-due", help="Remove the due date.")] = False,
    priority: PriorityOpt = None,
    no_priority: Annotated[bool, typer.Option("--no-priority", help="Clear the priority.")] = False,
    tag: TagOpt = None,
    untag: Annotated[
        list[str] | None,
        typer.Option("--untag", help="Remove a tag (repeatable).", autocompletion=completion.tags),
    ] = None,
    project: ProjectOpt = None,
    no_project: Annotated[bool, typer.Option("--no-project", help="No project.")] = False,
    wait: WaitOpt = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Not waiting any more.")] = False,
    scheduled: ScheduledOpt = None,
    until: UntilOpt = None,
    recur: RecurOpt = None,
    no_recur: Annotated[bool, typer.Option("--no-recur", help="End the recurrence.")] = False,
    depends: DependsOpt = None,
    no_depends: Annotated[
        list[int] | None,
        typer.Option(
            "--no-depends",
            metavar="ID",
            help="Not blocked by task ID any more.",
            autocompletion=completion.task_ids,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Change tasks; only what you give changes.

    Example: todo edit 42 --title "buy oat milk" --no-due -t errands --untag home

    Example: todo edit 3 4 due:friday +urgent --untag home
    """
    from todo_cli.schemas import validate
    from todo_cli.services.tasks import editing
    from todo_cli.task_schemas import TaskUpdate

    ids = [int(a) for a in _leading_ids(args)]
    if not ids:
        raise BadInput("say which tasks to edit: todo edit ID... then what to change")
    words, data = fields(
        ctx, args[len(ids) :], description=description, due=due, priority=priority, tags=tag,
        untag=untag, project=project, wait=wait, scheduled=scheduled, until=until, recur=recur,
        depends=depends,
    )  # fmt: skip
    if title is not None and words:
        raise BadInput("give the new title once: as words or as --title, not both")
    clear = {n for n, on in (("due", no_due), ("priority", no_priority), ("project", no_project),
             ("wait", no_wait), ("recur", no_recur)) if on}  # fmt: skip
    if data.get("priority") == "none":  # -p none, pri:
        del data["priority"]
        clear.add("priority")
    for name in clear:
        if name in data:
            raise BadInput(f"give --{name} or --no-{name}, not both")
    changes: dict[str, Any] = {
        "title": title if title is not None else words or None,
        **{k: v for k, v in data.items() if k not in ("tags", "untag", "depends")},
        "add_tags": data.get("tags", []),
        "remove_tags": data.get("untag", []),
        "add_depends": data.get("depends", []),
        "remove_depends": no_depends or [],
        "clear": clear,
    }
    changes = {k: v for k, v in changes.items() if v not in (None, [], set())} | {"clear": clear}
    done = editing.edit(runtime(ctx), ids, validate(TaskUpdate, changes))
    shown = sorted(done.changed + done.unchanged, key=lambda t: t.id)
    if json:  # one task: the task shape; several: the list shape
        one = len(ids) == 1 and len(shown) == 1
        render.print_json(shown[0].to_json()) if one else print_page(_page(shown))
        return
    changed = {t.id for t in done.changed}
    for task in shown:
        for absent in done.absent_tags.get(task.id, []):
            render.message(f"task {task.id} has no tag {render.safe(absent)}")
        state = "updated task" if task.id in changed else "nothing to change on task"
        render.message(f"{state} {task.id}: {render.safe(task.title)}")


def _leading_ids(args: list[str]) -> list[str]:
    ids = []
    for a in args:
        if not a.isdigit():
            break
        ids.append(a)
    return ids


def _page(tasks: list[Any]) -> Any:
    from todo_cli.schemas import Page

    return Page(tasks, len(tasks), 1, max(1, len(tasks)))


app.command("edit")(edit)
app.command("modify", help="Same as `edit`: change tasks.")(edit)
