"""`todo chat export` and `todo chat import`: conversations out to a file and in from one."""

import sys
from typing import Annotated

import typer

from todo_cli import render, render_chat
from todo_cli.choices import ChatExportFormat, ChatImportFormat
from todo_cli.cli.options import JsonOpt, runtime


def export(
    ctx: typer.Context,
    conv_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Conversation id, or last.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every conversation.")] = False,
    fmt: Annotated[
        ChatExportFormat, typer.Option("--format", help="Output format.")
    ] = ChatExportFormat.json,
) -> None:
    """Export chats as JSON, Markdown or OpenAI.

    Writes one conversation (ID, or last) or all of them (--all) to stdout.

    json is what `todo chat import` reads back (one conversation, or an array with --all);
    openai is a messages array other tools take (with --all, JSON Lines of
    {"title", "messages"}).

    Example: todo chat export 3 --format markdown > trip.md

    Example: todo chat export --all > chats.json
    """
    from todo_cli.chat_formats.writers import Writer
    from todo_cli.errors import BadInput
    from todo_cli.schemas import ConversationPublic, MessagePublic
    from todo_cli.services.chat import conversations as chat

    if (conv_id is None) == (not all_):
        raise BadInput("give a conversation ID or --all (not both)")
    writer = Writer(sys.stdout, fmt.value, many=all_)
    opened: list[bool] = []

    def write(conv: ConversationPublic | None, messages: list[MessagePublic]) -> None:
        if not opened:
            opened.append(True)
            writer.begin()
        if conv is not None:
            if writer.convs:
                writer.tail()
            writer.head(conv)
        writer.messages(messages)

    ref = chat.parse_ref(conv_id) if conv_id is not None else None
    count = chat.export_messages(runtime(ctx), ref, write)
    if not opened:
        writer.begin()
    if count:
        writer.tail()
    writer.end()
    sys.stdout.flush()


def import_(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE", help="An export file or logs.db, or - for stdin.")
    ],
    fmt: Annotated[
        ChatImportFormat, typer.Option("--format", help="The file's format (auto: detect).")
    ] = ChatImportFormat.auto,
    title: Annotated[
        str | None, typer.Option("--title", help="Title for the new conversations.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Import chats: ChatGPT, Claude, llm, OpenAI.

    Reads a ChatGPT or Claude data export (conversations.json or the export's .zip), an llm
    logs.db (any version) or `llm logs --json` output, OpenAI messages (a JSON array, an
    object with "messages", or JSON Lines of them), or `todo chat export --format json`.
    Titles and times are kept. Importing the same source again adds only what is new.
    One bad record rejects the whole file, and nothing is written.

    Example: todo chat import ~/Downloads/chatgpt-export.zip

    Example: todo chat import ~/.config/io.datasette.llm/logs.db
    """
    from todo_cli.chat_formats import open_chats
    from todo_cli.schemas import ConversationCreate, validate
    from todo_cli.services.chat import importing

    if title is not None:
        title = validate(ConversationCreate, {"title": title}).title
    with render_chat.import_progress(source) as progress:
        result = importing.import_chats(
            runtime(ctx),
            lambda: open_chats(source, fmt.value),
            title=title,
            reopenable=source != "-",
            progress=progress,
        )
    if json:
        render.print_json(result.to_json())
    else:
        render_chat.import_summary(result)
