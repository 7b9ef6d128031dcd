"""`todo chat ...`: conversations and their messages, searchable."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli import render
from todo_cli.choices import ChatExportFormat, Role
from todo_cli.cli.options import (
    JsonOpt,
    PageOpt,
    PageSizeOpt,
    YesOpt,
    confirm,
    next_page,
    read_stdin,
    runtime,
)
from todo_cli.cli.suggest import SuggestingGroup

if TYPE_CHECKING:
    from datetime import datetime

app = typer.Typer(
    cls=SuggestingGroup,
    help="Keep and search chat logs: conversations and their messages.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IdArg = Annotated[int, typer.Argument(metavar="ID", help="Conversation id.")]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="Only since WHEN: 2026-11-01, yesterday, -7d, -2w, -4h."),
]


def _since(value: str | None) -> "datetime | None":
    from todo_cli.when import parse_instant

    return parse_instant(value, start_of_day=True) if value else None


def _conv_json(conv: Any, messages: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = conv.to_json()
    if messages is not None:
        data["messages"] = [m.to_json() for m in messages]
    data.update(extra)
    return data


@app.command()
def new(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Argument(help="A title (optional).")] = None,
    json: JsonOpt = False,
) -> None:
    """Start a conversation.

    Example: todo chat new "trip planning"
    """
    from todo_cli.schemas import ConversationCreate, validate
    from todo_cli.services.chat import conversations as chat

    conv = chat.new(runtime(ctx), validate(ConversationCreate, {"title": title}))
    if json:
        render.print_json(conv.to_json())
    else:
        render.message(f"started conversation {conv.id}: {render.safe(conv.title) or '(untitled)'}")


@app.command("list")
def list_(
    ctx: typer.Context,
    page: PageOpt = 1,
    page_size: PageSizeOpt = 20,
    since: SinceOpt = None,
    json: JsonOpt = False,
) -> None:
    """List conversations by last activity, newest first, with the last message.

    Example: todo chat list --since -7d
    """
    from todo_cli.cli.options import print_page
    from todo_cli.services.chat import conversations as chat

    result = chat.list_conversations(runtime(ctx), page, page_size, _since(since))
    if json:
        print_page(result)
        return
    size = page_size if page_size != 20 else None
    hint = next_page(ctx, ["chat", "list"], {"since": since, "page-size": size}, page)
    render.chat_list(result, next_hint=hint)


@app.command()
def show(
    ctx: typer.Context,
    conv_id: IdArg,
    page: PageOpt = 1,
    page_size: PageSizeOpt = 50,
    since: SinceOpt = None,
    json: JsonOpt = False,
) -> None:
    """Show a conversation's messages, oldest first.

    Example: todo chat show 3 --page 2
    """
    from todo_cli.services.chat import conversations as chat

    conv, msgs = chat.show(runtime(ctx), conv_id, page, page_size, _since(since))
    if json:
        extra = {"total": msgs.total, "page": msgs.page, "page_size": msgs.page_size}
        render.print_json(_conv_json(conv, msgs.items, **extra))
        return
    size = page_size if page_size != 50 else None
    hint = next_page(ctx, ["chat", "show", str(conv_id)], {"since": since, "page-size": size}, page)
    render.chat_show(conv, msgs, hint)


@app.command()
def say(
    ctx: typer.Context,
    conv_id: IdArg,
    content: Annotated[str, typer.Argument(metavar="TEXT", help="The message, or - for stdin.")],
    role: Annotated[Role, typer.Option("--role", help="Who says it.")] = Role.user,
    json: JsonOpt = False,
) -> None:
    """Add a message to a conversation.

    Example: todo chat say 3 "what should I pack?"

    Example: llm "what to pack" | todo chat say 3 - --role assistant
    """
    from todo_cli.schemas import MessageCreate, validate
    from todo_cli.services.chat import conversations as chat

    text = read_stdin() if content == "-" else content
    msg = chat.say(runtime(ctx), conv_id, validate(MessageCreate, {"role": role, "content": text}))
    if json:
        render.print_json(msg.to_json())
    else:
        render.message(f"added message {msg.id} to conversation {conv_id}")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="TEXT", help="Words to find (all of them).")],
    page: PageOpt = 1,
    page_size: PageSizeOpt = 20,
    json: JsonOpt = False,
) -> None:
    """Search all your messages, best matches first.

    Every word must occur, in any order and case. A word with punctuation inside, like
    report.pdf or ada@example.com, matches those parts side by side. Quotes and operators
    (AND, OR, NEAR, *) are plain text.

    Example: todo chat search "passport visa"
    """
    from todo_cli.cli.options import print_page
    from todo_cli.services.chat import search as chat_search

    result = chat_search.search(runtime(ctx), query, page, page_size)
    if json:
        print_page(result)
        return
    render.search_hits(
        result,
        next_hint=next_page(
            ctx,
            ["chat", "search", query],
            {"page-size": page_size if page_size != 20 else None},
            page,
        ),
    )


@app.command()
def rename(
    ctx: typer.Context,
    conv_id: IdArg,
    title: Annotated[str, typer.Argument(help="The new title.")],
) -> None:
    """Rename a conversation.

    Example: todo chat rename 3 "Lisbon trip"
    """
    from todo_cli.schemas import ConversationCreate, validate
    from todo_cli.services.chat import conversations as chat

    conv = chat.rename(runtime(ctx), conv_id, validate(ConversationCreate, {"title": title}))
    render.message(f"renamed conversation {conv.id}: {render.safe(conv.title)}")


@app.command()
def delete(ctx: typer.Context, conv_id: IdArg, yes: YesOpt = False) -> None:
    """Delete a conversation and all its messages.

    Example: todo chat delete 3 --yes
    """
    from todo_cli.services.chat import conversations as chat

    rt = runtime(ctx)
    if not yes:
        conv = chat.get(rt, conv_id)
        title = render.safe(conv.title) or "(untitled)"
        confirm(
            f"Delete conversation {conv.id} ({title}) and its "
            f"{render.plural(conv.message_count, 'message')}?",
            yes,
        )
    gone = chat.delete_conversation(rt, conv_id)
    render.message(
        f"deleted conversation {gone.id} and {render.plural(gone.message_count, 'message')}"
    )


@app.command()
def export(
    ctx: typer.Context,
    conv_id: IdArg,
    fmt: Annotated[
        ChatExportFormat, typer.Option("--format", help="Output format.")
    ] = ChatExportFormat.json,
) -> None:
    """Write a whole conversation to stdout as JSON or Markdown.

    Example: todo chat export 3 --format markdown > trip.md
    """
    import json

    from todo_cli.schemas import ConversationPublic, MessagePublic
    from todo_cli.services.chat import conversations as chat

    out = sys.stdout
    written = {"head": False, "messages": 0}

    def write(conv: ConversationPublic, messages: list[MessagePublic]) -> None:
        markdown = fmt is ChatExportFormat.markdown
        if not written["head"]:
            written["head"] = True
            if markdown:
                out.write(f"# {conv.title or 'Untitled conversation'}\n")
            else:  # the conversation object, left open for its "messages" array
                head = json.dumps(conv.to_json(), ensure_ascii=False, indent=2)
                out.write(head[: head.rfind("}")].rstrip() + ',\n  "messages": [')
        for m in messages:
            if markdown:
                out.write(f"\n## {m.role} · {m.created_at.isoformat()}\n\n{m.content}\n")
            else:
                out.write(("," if written["messages"] else "") + "\n    ")
                out.write(json.dumps(m.to_json(), ensure_ascii=False))
            written["messages"] += 1

    chat.export_messages(runtime(ctx), conv_id, write)
    if fmt is ChatExportFormat.json:
        out.write("\n  ]\n}\n")


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help="A JSON file, or - for stdin.")],
    json: JsonOpt = False,
) -> None:
    """Import a conversation: a JSON list of {"role", "content"} (OpenAI style), or an object
    with "messages" (and optionally "title"). All or nothing.

    Example: todo chat import chat.json   ·   cat chat.json | todo chat import -
    """
    from todo_cli.services.chat import conversations as chat
    from todo_cli.services.chat import importing as chat_io

    data = chat_io.parse(read_stdin() if source == "-" else chat_io.read_file(Path(source)))
    conv = chat.import_conversation(runtime(ctx), data)
    if json:
        render.print_json(conv.to_json())
    else:
        count = render.plural(conv.message_count, "message")
        render.message(f"imported conversation {conv.id} with {count}")
