"""Choosing tasks: by id, or by the filter options of `list` (`todo complete --tag shop`),
which `list` and every command that changes tasks in bulk share."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli import completion, render
from todo_cli.choices import Status
from todo_cli.cli.options import confirm, runtime
from todo_cli.errors import BadInput

if TYPE_CHECKING:
    from todo_cli.services.tasks.listing import TaskQuery

QUESTION_LIST = 10  # tasks a question names before "and N more"

TagFilter = Annotated[
    str | None,
    typer.Option("--tag", "-t", help="Only tasks with this tag.", autocompletion=completion.tags),
]
ProjectFilter = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Only this project and its sub-projects.",
        autocompletion=completion.projects,
    ),
]
SearchFilter = Annotated[
    str | None, typer.Option("--search", "-s", help="Text in the title or description.")
]
OverdueFilter = Annotated[bool, typer.Option("--overdue", help="Only pending tasks past due.")]
BlockedFilter = Annotated[
    bool | None,
    typer.Option(
        "--blocked/--unblocked", help="Only tasks that wait for another, or only those that don't."
    ),
]
StatusFilter = Annotated[Status, typer.Option("--status", help="Which tasks.")]


@dataclass(frozen=True)
class Filters:
    status: Status = Status.pending
    tag: str | None = None
    project: str | None = None
    search: str | None = None
    overdue: bool = False
    blocked: bool | None = None

    @property
    def given(self) -> bool:
        return bool(self.tag or self.project or self.search or self.overdue) or (
            self.blocked is not None
        )

    def query(self, **more: object) -> "TaskQuery":
        from todo_cli.services.tasks.listing import TaskQuery

        return TaskQuery(
            status=self.status,
            tag=self.tag,
            project=self.project,
            search=self.search,
            overdue=self.overdue,
            blocked=self.blocked,
            **more,  # type: ignore[arg-type]
        )


def chosen(
    ctx: typer.Context, ids: list[int] | None, filters: Filters, verb: str, yes: bool
) -> list[int]:
    """The ids to act on: those given, or what the filters select (asking first when that is
    more than one task). Nothing selected: exit 0 with a message."""
    if ids:
        if filters.given:
            raise BadInput("give task ids or filter options, not both")
        return ids
    if not filters.given:
        raise BadInput(f"say which tasks to {verb}: give their ids, or filter options (--help)")
    from todo_cli.services.tasks import listing

    found = listing.matching(runtime(ctx), filters.query())
    if not found:
        render.message("no tasks match; nothing was changed")
        raise typer.Exit(0)
    if len(found) > 1:
        confirm(question(f"{verb.capitalize()} {render.plural(len(found), 'task')}", found), yes)
    return [task_id for task_id, _ in found]


def question(head: str, tasks: list[tuple[int, str]], total: int | None = None) -> str:
    """`Complete 4 tasks (3 buy eggs, 5 milk, ...)?`: what a question is about, named (of
    `total` tasks, when `tasks` holds only the first ones)."""
    named = ", ".join(f"{i} {render.safe(title)}" for i, title in tasks[:QUESTION_LIST])
    more = (len(tasks) if total is None else total) - QUESTION_LIST
    tail = f" and {more:,} more" if more > 0 else ""
    return f"{head} ({named}{tail})?"
