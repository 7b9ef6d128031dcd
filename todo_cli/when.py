"""Parse WHEN for `--due`: ISO dates and times, and the everyday words of CLI.md.

A bare date (`2026-12-01`, `today`, `+3d`) means the end of that day in local time, so a task due
today is not overdue until the day is over. A time without an offset is local time. The result
is always timezone-aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from todo_cli.errors import BadInput

_RELATIVE = re.compile(r"^\+(\d{1,5})([dwh])$")
_END_OF_DAY = time(23, 59, 59)
HELP = "an ISO date or time (2026-12-01, 2026-12-01T09:00), today, tomorrow, +3d, +2w or +4h"


def _local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def _end_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, _END_OF_DAY, tzinfo=tz).astimezone(UTC)


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """Turn WHEN into an aware UTC datetime, or raise BadInput saying what is accepted."""
    tz = _local_tz()
    now_local = (now or datetime.now(UTC)).astimezone(tz)
    word = text.strip().lower()
    if word == "today":
        return _end_of(now_local.date(), tz)
    if word == "tomorrow":
        return _end_of(now_local.date() + timedelta(days=1), tz)
    m = _RELATIVE.match(word)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit == "h":
            return (now_local + timedelta(hours=n)).astimezone(UTC)
        days = n * 7 if unit == "w" else n
        return _end_of(now_local.date() + timedelta(days=days), tz)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            return _end_of(date.fromisoformat(word), tz)
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        raise BadInput(f"bad date {text!r}: expected {HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)
