"""Limits and checks that more than one layer applies, each defined once.

The tables size their columns and CHECK constraints from these limits, the boundary models
validate with these checks, and services use the same ones for what arrives by other paths
(list filters, ids typed on the command line, the raw argv).
"""

from __future__ import annotations

from todo_cli.errors import BadInput, NotFound

TITLE_MAX = 200
DESCRIPTION_MAX = 1000
TAG_MAX = 64
PROJECT_MAX = 200
ANNOTATION_MAX = 10_000
UUID_LENGTH = 36  # 8-4-4-4-12 hex digits, as Taskwarrior writes them
NAME_MAX = 200
EMAIL_MAX = 320
USER_ID_MAX = 64
MODEL_MAX = 200  # a chat message's model name
SOURCE_ID_MAX = 200  # an imported conversation's or message's id in its source
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 500
# Row ids are 64-bit on both backends; a larger number (or 0) can name no row, and SQLite
# could not even bind it.
ID_LIMIT = 2**63


def unstorable(text: str, *, nul: bool = False) -> str | None:
    """Why `text` cannot be stored exactly, or None: NUL (PostgreSQL refuses it in text;
    `nul=True` lets it pass, for text that is not stored as it is) and lone surrogates
    (undecodable bytes in argv arrive as those; they are not UTF-8)."""
    if "\x00" in text and not nul:
        return "contains a NUL character, which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text"
    return None


def storable(text: str, what: str) -> str:
    """`text` itself, or BadInput saying why it cannot be stored."""
    problem = unstorable(text)
    if problem is not None:
        raise BadInput(f"{what} {problem}")
    return text


def check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise BadInput(f"page must be 1 or more (got {page})")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadInput(f"page size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")


def row_id(value: int, missing: str) -> int:
    """An id typed by the user; one that no row can have is simply not found."""
    if not 0 < value < ID_LIMIT:
        raise NotFound(missing)
    return value
