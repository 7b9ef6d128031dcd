"""`todo chat ...`: conversations and their messages, searchable."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli import render, render_chat
from todo_cli.choices import Role
from todo_cli.cli import chat_transfer
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
    help="Chat logs: keep, import, search, export.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IdArg = Annotated[int, typer.Argument(metavar="ID", help="Conversation id.")]
RefArg = Annotated[
    str, typer.Argument(metavar="ID", help="Conversation id, or last (the latest active).")
]
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
    """List conversations, latest activity first.

    Each with its message count and the start of its last message.

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
    render_chat.chat_list(result, next_hint=hint)


@app.command()
def show(
    ctx: typer.Context,
    conv_id: RefArg,
    page: PageOpt = 1,
    page_size: PageSizeOpt = 50,
    since: SinceOpt = None,
    raw: Annotated[bool, typer.Option("--raw", help="The text as stored, not Markdown.")] = False,
    json: JsonOpt = False,
) -> None:
    """Show a conversation's messages, oldest first.

    On a terminal the messages are rendered as Markdown (through a pager when they are
    longer than the screen); --raw, or a pipe, prints the text as stored.

    Example: todo chat show 3 --page 2

    Example: todo chat show last --raw | less
    """
    from todo_cli.services.chat import conversations as chat

    conv, msgs = chat.show(runtime(ctx), chat.parse_ref(conv_id), page, page_size, _since(since))
    if json:
        extra = {"total": msgs.total, "page": msgs.page, "page_size": msgs.page_size}
        render.print_json(_conv_json(conv, msgs.items, **extra))
        return
    size = page_size if page_size != 50 else None
    flags = {"since": since, "page-size": size, "raw": raw or None}
    hint = next_page(ctx, ["chat", "show", str(conv.id)], flags, page)
    render_chat.chat_show(conv, msgs, hint, raw=raw)


def _message_text(content: str | None) -> str:
    """TEXT, or stdin: when TEXT is `-`, or not given and stdin is not a terminal."""
    from todo_cli.errors import BadInput

    if content is not None and content != "-":
        return content
    if sys.stdin.isatty():
        if content is None:
            raise BadInput("give the message as TEXT, or - to type it (or pipe it in)")
        render.note("type the message; end it with Ctrl-D on a line of its own")
    return read_stdin()


@app.command()
def say(
    ctx: typer.Context,
    conv_id: RefArg,
    content: Annotated[
        str | None,
        typer.Argument(metavar="[TEXT|-]", help="The message; - or none: read from stdin."),
    ] = None,
    role: Annotated[Role, typer.Option("--role", help="Who says it.")] = Role.user,
    model: Annotated[str | None, typer.Option("--model", help="The model that wrote it.")] = None,
    json: JsonOpt = False,
) -> None:
    """Add a message to a conversation.

    ID may be `last`, the most recently active conversation. With no TEXT and stdin not a
    terminal, the message is read from stdin.

    Example: todo chat say 3 "what should I pack?"

    Example: llm "what to pack" | todo chat say last --role assistant --model gpt-4o
    """
    from todo_cli.schemas import MessageCreate, validate
    from todo_cli.services.chat import conversations as chat

    ref = chat.parse_ref(conv_id)
    data = {"role": role, "content": _message_text(content), "model": model}
    msg = chat.say(runtime(ctx), ref, validate(MessageCreate, data))
    if json:
        render.print_json(msg.to_json())
    else:
        render.message(f"added message {msg.id} to conversation {msg.conversation_id}")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="TEXT", help="What to find (see above).")],
    role: Annotated[Role | None, typer.Option("--role", help="Only messages by ROLE.")] = None,
    conversation: Annotated[
        int | None, typer.Option("--conversation", metavar="ID", help="Only in conversation ID.")
    ] = None,
    since: SinceOpt = None,
    page: PageOpt = 1,
    page_size: PageSizeOpt = 20,
    json: JsonOpt = False,
) -> None:
    """Search all your messages, best matches first.

    Words are ANDed, in any order and case; "a quoted phrase" matches the words side by
    side; -word leaves out messages with it; lisbo* matches a prefix; OR between two terms
    takes either. Punctuation inside a word (report.pdf, ada@example.com) matches those
    parts side by side.

    Example: todo chat search "night train" lisbon OR porto -flight

    Example: todo chat search lisbo* --role assistant --since -30d
    """
    from todo_cli.cli.options import print_page
    from todo_cli.services.chat import search as chat_search

    result = chat_search.search(
        runtime(ctx),
        query,
        page,
        page_size,
        role=role.value if role is not None else None,
        conversation=conversation,
        since=_since(since),
    )
    if json:
        print_page(result)
        return
    flags: dict[str, Any] = {
        "role": role.value if role is not None else None,
        "conversation": conversation,
        "since": since,
        "page-size": page_size if page_size != 20 else None,
    }
    hint = next_page(ctx, ["chat", "search", query], flags, page)
    render_chat.search_hits(result, next_hint=hint)


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


# `export` and `import` live in chat_transfer.py (this module stays a readable size).
app.command()(chat_transfer.export)
app.command("import")(chat_transfer.import_)
