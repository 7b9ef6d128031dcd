"""Pieces shared by the command modules: option types, the runtime, confirmation, paging."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli import completion, render
from todo_cli.errors import ConfirmationRequired
from todo_cli.rules import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from todo_cli.schemas import Page
    from todo_cli.services.runtime import Runtime
    from todo_cli.task_schemas import TaskPublic

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
PageOpt = Annotated[int, typer.Option("--page", help="Page number, from 1.")]
PageSizeOpt = Annotated[
    int, typer.Option("--page-size", help=f"Rows per page (at most {MAX_PAGE_SIZE}).")
]
IdsArg = Annotated[
    list[int],
    typer.Argument(help="Task ids.", show_default=False, autocompletion=completion.task_ids),
]


def runtime(ctx: typer.Context) -> "Runtime":
    """The command's runtime, made by the root callback from the global options."""
    rt: Runtime = ctx.find_root().obj.runtime
    return rt


def announce(verb: str, tasks: "list[TaskPublic]", json: bool) -> None:
    """`completed task 3: ...` per task, or the list shape with --json."""
    if json:
        from todo_cli.schemas import Page

        print_page(Page(tasks, len(tasks), 1, max(1, len(tasks))))
        return
    for task in tasks:
        render.message(f"{verb} task {task.id}: {render.safe(task.title)}")


def confirm(question: str, yes: bool) -> None:
    """Ask before destroying data; without a terminal to ask on, refuse unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(
            f"{question.rstrip('?')}: refusing without a terminal; pass --yes"
        )
    if not typer.confirm(question, default=False, err=True):
        render.note("nothing was changed")
        raise typer.Exit(1)


def print_page(page: "Page[Any]") -> None:
    """The list shape: {"items", "total", "page", "page_size"}."""
    render.print_json(
        {
            "items": [item.to_json() for item in page.items],
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
        }
    )


def read_stdin() -> str:
    """All of stdin as UTF-8 text; anything else is bad input, not a crash."""
    from todo_cli.errors import BadInput

    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(f"stdin is not valid UTF-8 text (byte {e.start})") from None
    except AttributeError:  # a text-only stdin (tests): already decoded
        return sys.stdin.read()


def next_page(ctx: typer.Context, command: list[str], flags: dict[str, Any], page: int) -> str:
    """The command line for the next page, safe to paste into a shell: the global options
    that chose the database and the user come along (the URL's password masked), every value
    is quoted as needed, and options left at their defaults (None, False, "") are left out."""
    import shlex

    from todo_cli.config import mask_url

    root = ctx.find_root().params
    given = {"database-url": root.get("database_url"), "user": root.get("user")}
    parts = ["todo"]
    for flag, value in given.items():
        if value and ctx.find_root().get_parameter_source(flag.replace("-", "_")) is not None:
            if flag == "user" and _from_env(ctx, "user"):
                continue  # TODO_USER set: the next command gets it too
            parts.append(f"--{flag} {shlex.quote(mask_url(str(value)))}")
    parts += [shlex.quote(str(word)) for word in command]
    for flag, value in flags.items():
        if value is None or value is False or value == "":
            continue
        parts.append(f"--{flag}" if value is True else f"--{flag} {shlex.quote(str(value))}")
    parts.append(f"--page {page + 1}")
    return " ".join(parts)


def _from_env(ctx: typer.Context, name: str) -> bool:
    source = ctx.find_root().get_parameter_source(name)
    return source is not None and source.name == "ENVIRONMENT"
