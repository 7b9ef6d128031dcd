"""`todo user ...`: the people whose tasks and chats share a database."""

from typing import Annotated, Any

import typer

from todo_cli import render
from todo_cli.cli.options import JsonOpt, YesOpt, confirm, runtime
from todo_cli.cli.suggest import SuggestingGroup

app = typer.Typer(
    cls=SuggestingGroup,
    help="Manage users: add, list, switch, delete.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _who(user: Any) -> str:
    """`id <email>`, safe to print (stored text is escaped)."""
    return f"{render.safe(user.id)} <{render.safe(user.email)}>"


WhoArg = Annotated[str, typer.Argument(metavar="ID_OR_EMAIL", help="A user id or email.")]


@app.command()
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address (unique, any case).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    user_id: Annotated[
        str | None, typer.Option("--id", help="Choose the id (default: generated).")
    ] = None,
    login: Annotated[
        str | None,
        typer.Option(
            "--login",
            metavar="ROLE",
            help="PostgreSQL only: create the login role ROLE (or take an existing one) and map "
            "it to this user, who then sees only their own rows, whatever SQL they send. An "
            "existing user with this email is mapped instead of added.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="With --login: read the role's password from stdin "
            "(default: a new random one, printed once).",
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Add a user.

    Example: todo user add ada@example.com --name "Ada Lovelace"

    Example: todo user add ada@example.com --login ada   (on a shared PostgreSQL database)
    """
    from todo_cli.schemas import UserCreate, validate
    from todo_cli.services import users

    data = validate(UserCreate, {"email": email, "name": name, "id": user_id})
    if login is None:
        if password_stdin:
            from todo_cli.errors import BadInput

            raise BadInput("--password-stdin goes with --login ROLE")
        user = users.add_user(runtime(ctx), data)
        if json:
            render.print_json(user.to_json())
        else:
            render.message(f"added user {_who(user)}")
        return
    added = users.add_user_with_login(runtime(ctx), data, login, _read_password(password_stdin))
    _show_login(added, json)


def _read_password(from_stdin: bool) -> str | None:
    import sys

    from todo_cli.errors import BadInput

    if not from_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise BadInput("--password-stdin: no password on stdin")
    return password


def _show_login(added: Any, json: bool) -> None:
    """The new role's password and URL, shown this once (nothing keeps them)."""
    login = added.login
    if json:
        shape = {**added.user.to_json(), "login_role": login.role}
        if login.password is not None:
            shape["database_url"] = added.database_url
        render.print_json(shape)
        return
    made = "created login role" if login.created else "mapped existing login role"
    render.message(f"added user {_who(added.user)}; {made} {login.role}")
    if login.password is None:
        render.message(f"connect as {login.role} with its own password")
        return
    render.message("connect as that user with (the password is shown only now):")
    render.message(f"  export DATABASE_URL='{added.database_url}'")


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List users, oldest first.

    Example: todo user list --json
    """
    from todo_cli.services import users

    people = users.list_users(runtime(ctx))
    if json:
        items = [u.to_json() for u in people]
        render.print_json(
            {"items": items, "total": len(items), "page": 1, "page_size": max(1, len(items))}
        )
        return
    render.table(
        None,
        ["ID", "Email", "Name", "Created"],
        [[u.id, u.email, u.name or "", render.when(u.created_at)] for u in people],
    )


@app.command()
def use(ctx: typer.Context, who: WhoArg) -> None:
    """Act as this user from now on.

    Saved per database in the data dir.

    Example: todo user use ada@example.com
    """
    from todo_cli.services import users

    user = users.use_user(runtime(ctx), who)
    render.message(f"now acting as {_who(user)}")


@app.command()
def whoami(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Show the current user.

    Example: todo user whoami
    """
    from todo_cli.services import users

    user = users.whoami(runtime(ctx))
    if json:
        render.print_json(user.to_json())
    else:
        render.message(_who(user))


@app.command()
def delete(ctx: typer.Context, who: WhoArg, yes: YesOpt = False) -> None:
    """Delete a user and everything they own.

    All their tasks, conversations and messages go with them.

    Example: todo user delete ada@example.com --yes
    """
    from todo_cli.services import users

    rt = runtime(ctx)
    if not yes:
        f = users.footprint(rt, who)
        confirm(
            f"Delete user {_who(f.user)} with {render.plural(f.tasks, 'task')}, "
            f"{render.plural(f.conversations, 'conversation')} and "
            f"{render.plural(f.messages, 'message')}?",
            yes,
        )
    gone = users.delete_user(rt, who)
    render.message(
        f"deleted user {_who(gone.user)}: {render.plural(gone.tasks, 'task')}, "
        f"{render.plural(gone.conversations, 'conversation')}, "
        f"{render.plural(gone.messages, 'message')}"
    )
