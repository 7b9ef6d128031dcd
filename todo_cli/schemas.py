"""Validation at the boundary: the Create/Update/Public model families.

A `table=True` model does not validate, so input is checked here first (and again by the
database's CHECK constraints). Text is stored exactly as given; we refuse what cannot be stored
faithfully (empty titles, over-long text, NUL characters, which PostgreSQL rejects) rather than
trimming it silently.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, ValidationError
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig

from todo_cli.choices import Role
from todo_cli.errors import BadInput
from todo_cli.rules import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    MODEL_MAX,
    NAME_MAX,
    TAG_MAX,
    TITLE_MAX,
    USER_ID_MAX,
    unstorable,
)

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)


def _no_nul(value: str, what: str) -> str:
    """Refuse text that cannot be stored exactly (see `rules.unstorable`)."""
    problem = unstorable(value)
    if problem is not None:
        raise ValueError(f"{what} {problem}")
    return value


def _title(value: str) -> str:
    if not value.strip():
        raise ValueError("title must not be empty")
    if len(value) > TITLE_MAX:
        raise ValueError(f"title must be at most {TITLE_MAX} characters (got {len(value)})")
    return _no_nul(value, "title")


def _description(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > DESCRIPTION_MAX:
        raise ValueError(
            f"description must be at most {DESCRIPTION_MAX} characters (got {len(value)})"
        )
    return _no_nul(value, "description")


def _control(value: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value)


def _tag(value: str) -> str:
    if not value or len(value) > TAG_MAX or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError(f"tag {value!r} must be 1-{TAG_MAX} characters without spaces")
    return _no_nul(value, "tag")


def _tags(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))  # drop repeats, keep order


Title = Annotated[str, AfterValidator(_title)]
Description = Annotated[str | None, AfterValidator(_description)]
Tag = Annotated[str, AfterValidator(_tag)]
Tags = Annotated[list[Tag], AfterValidator(_tags)]


def validate(model: type[M], data: dict[str, Any], *, where: str = "") -> M:
    """Build `model` from data or raise BadInput with the first problem in one line."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise BadInput(where + describe(e)) from None


def describe(e: ValidationError) -> str:
    err = e.errors()[0]
    if err["type"] == "value_error":  # our own validators already name what is wrong
        return str(err["msg"]).removeprefix("Value error, ")
    field = ".".join(str(p) for p in err["loc"])
    return f"{field}: {err['msg']}" if field else str(err["msg"])


class Schema(SQLModel):
    """Base of the boundary models. Validators are built on first use, not at import: a
    command pays only for the models it touches (start-up time matters for a CLI)."""

    model_config = SQLModelConfig(defer_build=True)


def to_json(data: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as ISO 8601 with an explicit offset (`+00:00`, never `Z`)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


class Public(Schema):
    """A shape the CLI prints; `--json` prints `to_json()`, the reference's JSON shape."""

    def to_json(self) -> dict[str, Any]:
        return to_json(self.model_dump())


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _email(value: str) -> str:
    value = value.strip()
    local, at, domain = value.partition("@")
    bad = not at or not local or not domain or "@" in domain or len(value) > EMAIL_MAX
    if bad or any(c.isspace() for c in value) or _control(value):
        raise ValueError(f"{value!r} is not an email address")
    return _no_nul(value.lower(), "email")


def _user_id(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= USER_ID_MAX or any(c.isspace() for c in value) or _control(value):
        raise ValueError(
            f"id must be 1-{USER_ID_MAX} characters without spaces or control characters"
        )
    if "@" in value:  # `--user X` looks X up as an id or an email: they must not overlap
        raise ValueError("id must not contain '@' (that is for emails)")
    return value


def _name(value: str | None) -> str | None:
    if value is not None and len(value) > NAME_MAX:
        raise ValueError(f"name must be at most {NAME_MAX} characters (got {len(value)})")
    return None if value is None else _no_nul(value, "name")


class UserCreate(Schema):
    """A new user from `todo user add`; the email is stored lower-cased."""

    email: Annotated[str, AfterValidator(_email)]
    name: Annotated[str | None, AfterValidator(_name)] = None
    id: Annotated[str | None, AfterValidator(_user_id)] = None


class UserPublic(Public):
    id: str
    email: str
    name: str | None
    created_at: datetime


def _content(value: str) -> str:
    if not value.strip():
        raise ValueError("message must not be empty")
    return _no_nul(value, "message")


def _conv_title(value: str | None) -> str | None:
    if value is None:
        return None
    return _title(value)


def _model(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or len(value) > MODEL_MAX:
        raise ValueError(f"model must be 1-{MODEL_MAX} characters")
    return _no_nul(value, "model")


class MessageCreate(Schema):
    """One message from `todo chat say`."""

    role: Role = Role.user
    content: Annotated[str, AfterValidator(_content)]
    model: Annotated[str | None, AfterValidator(_model)] = None


class ConversationCreate(Schema):
    title: Annotated[str | None, AfterValidator(_conv_title)] = None


class MessagePublic(Public):
    id: int
    conversation_id: int
    role: str
    content: str
    model: str | None = None
    created_at: datetime
    source_id: str | None = None  # its id in the source it was imported from

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data.pop("source_id")  # only `chat export` writes it (for a faithful re-import)
        return data


class ConversationPublic(Public):
    id: int
    title: str | None
    message_count: int
    source: str | None = None  # the format it was imported from (None: made in todo)
    source_id: str | None = None  # and its id there
    created_at: datetime
    updated_at: datetime
    preview: str | None = None  # the last message, in `chat list` only

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        fmt, ident = data.pop("source"), data.pop("source_id")
        data = {
            **{k: data[k] for k in ("id", "title", "message_count")},
            "source": {"format": fmt, "id": ident} if fmt is not None else None,
            **{k: v for k, v in data.items() if k not in ("id", "title", "message_count")},
        }
        if self.preview is None:
            data.pop("preview")
        return data


class SearchHit(Public):
    """A message that matched `chat search`, with its conversation and a marked snippet."""

    message: MessagePublic
    conversation_title: str | None
    snippet: str  # matches wrapped in HIT_START / HIT_END

    def to_json(self) -> dict[str, Any]:
        data = self.message.to_json()
        data["conversation_title"] = self.conversation_title
        data["snippet"] = self.snippet.replace(HIT_START, "**").replace(HIT_END, "**")
        return data


HIT_START, HIT_END = "\x02", "\x03"
