"""The options and WORDS of `add` and `edit`, and how they become a task's fields."""

from typing import Annotated, Any

import typer

from todo_cli import completion
from todo_cli.choices import PriorityChoice
from todo_cli.errors import BadInput
from todo_cli.when import HELP as WHEN_HELP

WordsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="WORDS...",
        help="The title; words like due:tomorrow, +tag, pri:H, project:P are attributes "
        "(after -- everything is title).",
        show_default=False,
    ),
]
DescOpt = Annotated[str | None, typer.Option("--description", "-d", help="Longer notes.")]
DueOpt = Annotated[str | None, typer.Option("--due", metavar="WHEN", help=f"Due: {WHEN_HELP}.")]
PriorityOpt = Annotated[
    PriorityChoice | None, typer.Option("--priority", "-p", help="Priority (none clears it).")
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", help="Add a tag (repeatable).", autocompletion=completion.tags),
]
ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Project; dots make sub-projects (Home.Garden).",
        autocompletion=completion.projects,
    ),
]
WaitOpt = Annotated[
    str | None, typer.Option("--wait", metavar="WHEN", help="Hidden from `list` until then.")
]
ScheduledOpt = Annotated[
    str | None, typer.Option("--scheduled", metavar="WHEN", help="When to start on it.")
]
UntilOpt = Annotated[
    str | None,
    typer.Option("--until", metavar="WHEN", help="Expires then (a recurrence ends then)."),
]
RecurOpt = Annotated[
    str | None,
    typer.Option(
        "--recur",
        metavar="PERIOD",
        help="Repeat: daily, weekly, monthly, yearly, weekdays, 3d, 2w, 6m, 1y (needs --due).",
    ),
]
DependsOpt = Annotated[
    list[int] | None,
    typer.Option(
        "--depends",
        metavar="ID",
        help="Blocked until task ID is done (repeatable).",
        autocompletion=completion.task_ids,
    ),
]
DATES = ("due", "wait", "scheduled", "until")


def fields(ctx: typer.Context, words: list[str], **options: Any) -> tuple[str, dict[str, Any]]:
    """The title and the fields given, from the words' attributes and the options (one way
    each: `due:` and `--due` together are refused)."""
    from todo_cli.cli.words import parse
    from todo_cli.when import instant, parse_when

    typed = parse(words, literal=min(ctx.find_root().obj.literal, len(words)))
    fields: dict[str, Any] = {k: v for k, v in options.items() if v not in (None, [], False)}
    for key, value in typed.attributes.items():
        if key in fields:
            raise BadInput(f"give the {key} once: as {key}: or as --{key}, not both")
        fields[key] = value
    if typed.add_tags:
        fields["tags"] = [*fields.get("tags", []), *typed.add_tags]
    for key in DATES:  # a day: due on that day; wait and scheduled from its start; until its end
        text = fields.get(key)
        if isinstance(text, str):
            given = parse_when(text)
            fields[key] = given if key == "due" else instant(given, start_of_day=key != "until")
    if isinstance(fields.get("depends"), str):
        fields["depends"] = [int(i) for i in fields["depends"].split(",") if i.strip().isdigit()]
    return typed.text, fields
