"""The `todo` command line: global options, the error boundary, and every command module.

Each module under `cli/` is a Typer app of its own, with its commands declared by decorators;
they are merged here (tasks, trash, import/export at the top level; chat, user and db as
groups), so a command is found from this file in one hop. Command modules import services
lazily inside each command, so `todo --help` and `todo --version` never load SQLAlchemy.
"""

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli import __version__, render
from todo_cli.cli import chat, database, notes, server, state, tasks, transfer, trash, users
from todo_cli.cli.suggest import SuggestingGroup
from todo_cli.errors import TodoError

if TYPE_CHECKING:
    from todo_cli.services.runtime import Runtime


@dataclass
class Invocation:
    """What the error boundary needs to know about the command being run. Made by the
    boundary for each run and filled in by the root callback (Typer's `ctx.obj`)."""

    verbose: bool = False
    runtime: "Runtime | None" = None
    literal: int = 0  # how many arguments came after `--` (Click drops the `--` itself)

    def scrub(self, text: str) -> str:
        """Mask passwords: in URLs, and the resolved database password anywhere."""
        from todo_cli.config import mask_url

        text = mask_url(text)
        rt = self.runtime
        password = rt.resolved_password() if rt is not None else None
        # A last resort for a password echoed outside a URL, unless replacing it would mangle
        # the message (a short password, or one that is also the user or database name).
        if rt is not None and password and len(password) >= 4 and password not in rt.target.display:
            text = text.replace(password, "***")
        return text


PIPE_CLOSED = 141  # what a shell reports for a command ended by SIGPIPE, as `git log | head` is


def _stdout_to_nowhere() -> None:
    """Whatever is still buffered for the closed pipe goes nowhere instead of failing again."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):  # not a real file (CliRunner's)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_traceback() -> None:
    import traceback  # only with --verbose: it pulls in linecache and tokenize

    traceback.print_exc()


class _PipeClosed(Exception):
    """A write found stdout closed. Not an OSError, which Click would turn into exit 1."""


class TodoGroup(SuggestingGroup):
    """Turns every error into one `error: ...` line and the exit code of the reference."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _PipeClosed from None

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from todo_cli.errors import BadInput
        from todo_cli.rules import unstorable

        run = extra.setdefault("obj", Invocation())
        given = sys.argv[1:] if args is None else list(args)
        if "--" in given:
            run.literal = len(given) - given.index("--") - 1
        try:
            # Undecodable bytes can be no value at all; a NUL is left to the field's own check.
            for i, arg in enumerate(sys.argv[1:] if args is None else args, 1):
                if problem := unstorable(arg, nul=True):
                    raise BadInput(f"argument {i} {problem}")
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as e:  # bad usage: unknown flag, bad choice, missing arg
            ctx = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:
                # `todo` or `todo db` alone. Typer's rich help prints itself and returns "".
                text = ctx.get_help()
                if text:
                    sys.stdout.write(text + "\n")
            else:
                hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
                render.error(e.format_message() + hint)
            rv = e.exit_code
        except typer.Abort:
            render.error("aborted")
            rv = 130
        except (BrokenPipeError, _PipeClosed):  # `todo list | head`: the reader has gone
            rv = PIPE_CLOSED
            _stdout_to_nowhere()
        except TodoError as e:  # an ordinary error says what is wrong; no traceback even with -v
            render.error(run.scrub(e.message))
            rv = e.exit_code
        except KeyboardInterrupt:
            render.error("interrupted")
            rv = 130
        except Exception as e:
            if run.verbose:
                _print_traceback()
            render.error(run.scrub(f"unexpected {type(e).__name__}: {e} (--verbose shows more)"))
            rv = 1
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=TodoGroup,
    name="todo",
    help=(
        "A todo list and chat log in your terminal, on a local SQLite file or Neon PostgreSQL.\n\n"
        'Example: todo add "buy milk" --due tomorrow -t home'
    ),
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"todo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Database URL (postgresql://... or sqlite:///file.db). "
            "Default: $DATABASE_URL, then DATABASE_URL in ./.env, then the local SQLite file.",
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="Act as this user (id or email).", envvar="TODO_USER", show_default=False
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show retries, and a traceback for an unexpected error."
        ),
    ] = False,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile",
            help="After the output, print each SQL statement with its time, the round trips "
            "and connections to stderr. TODO_SLOW_MS=N logs statements slower than N ms.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Global options apply to every command."""
    from todo_cli.profiling import Profile
    from todo_cli.services.runtime import Runtime

    run: Invocation = ctx.obj
    run.verbose = verbose
    runtime = Runtime(database_url, user, profile=Profile() if profile else None)
    run.runtime = runtime
    _setup_logging(verbose)
    if runtime.profile is not None:
        ctx.call_on_close(lambda: render.profile(runtime.profile))
    ctx.call_on_close(runtime.close)
    ctx.call_on_close(runtime.remember)  # (runs first: callbacks go last in, first out)


def _setup_logging(verbose: bool) -> None:
    """Retries (with --verbose) and slow statements (TODO_SLOW_MS, which only logs when set)
    are logged to stderr.

    Reset on every invocation: in-process callers (tests, scripts) swap sys.stderr between
    runs, and a handler left from an earlier run would write to a closed stream.
    """
    import logging

    logger = logging.getLogger("todo")
    logger.propagate = False
    logging.getLogger("todo.retry").disabled = not verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("todo: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)


for module in (tasks, state, trash, notes, transfer):
    app.add_typer(module.app)
app.add_typer(chat.app, name="chat")
app.add_typer(users.app, name="user")
app.add_typer(database.app, name="db")
app.add_typer(server.app, name="server")


def main() -> None:
    """Console-script entry point."""
    app()
