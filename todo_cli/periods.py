"""Recurrence periods: `daily`, `weekly`, `monthly`, `yearly`, `weekdays`, or `Nd`, `Nw`, `Nm`,
`Ny`, and when each instance of a recurrence is due.

Instance n (0 for the first) is due at the template's due date plus n periods, always counted
from the template (never from the instance before), so a monthly task due on the 31st lands on
the last day of each shorter month and on the 31st again after it. `weekdays` steps over
Saturdays and Sundays. The same rule runs inside the database, so a statement can make the next
instance: SQLite calls `next_due` (registered on each connection, see db.py), PostgreSQL a SQL
function of migration 0007; a test holds the two to the same answers.

Taskwarrior writes periods its own way (`2mo` for two months, `P14D`, `biweekly`...):
`from_taskwarrior` and `to_taskwarrior` translate.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from todo_cli.errors import BadInput

NAMED = {"daily": "1d", "weekly": "1w", "monthly": "1m", "yearly": "1y"}
HELP = "daily, weekly, monthly, yearly, weekdays, or a number and d, w, m or y (3d, 2w, 6m, 1y)"
_STEP = re.compile(r"([1-9]\d{0,2})([dwmy])")
_TW_UNITS = {
    "d": "d", "day": "d", "days": "d", "w": "w", "wk": "w", "wks": "w", "week": "w",
    "weeks": "w", "mo": "m", "mos": "m", "mth": "m", "mths": "m", "month": "m", "months": "m",
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y",
}  # fmt: skip
_TW_NAMED = {
    "daily": "1d", "day": "1d", "weekly": "1w", "biweekly": "2w", "fortnight": "2w",
    "monthly": "1m", "bimonthly": "2m", "quarterly": "3m", "semiannual": "6m",
    "yearly": "1y", "annual": "1y", "biannual": "2y", "weekdays": "weekdays",
}  # fmt: skip
_ISO = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")


def canonical(period: str) -> str:
    """The period as stored: `weekdays` or N followed by d, w, m or y; BadInput otherwise."""
    word = period.strip().lower()
    word = NAMED.get(word, word)
    if word == "weekdays" or _STEP.fullmatch(word):
        return word
    raise BadInput(f"bad period {period!r}: use {HELP}")


def shown(stored: str) -> str:
    """The period as people write it: `daily` rather than `1d`."""
    names = {v: k for k, v in NAMED.items()}
    return names.get(stored, stored)


def next_due(first: datetime | str | None, period: str | None, n: int | None) -> datetime | None:
    """When instance `n` of a recurrence whose first instance is due at `first` is due."""
    if first is None or period is None or n is None:
        return None
    if isinstance(first, str):  # SQLite hands over its stored text
        first = datetime.fromisoformat(first)
    if period == "weekdays":
        day = first
        steps = n
        while steps > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                steps -= 1
        return day
    m = _STEP.fullmatch(period)
    if m is None:
        return None
    count, unit = int(m.group(1)) * n, m.group(2)
    if unit == "d":
        return first + timedelta(days=count)
    if unit == "w":
        return first + timedelta(weeks=count)
    from dateutil.relativedelta import relativedelta  # month arithmetic that clamps to the end

    return first + relativedelta(months=count * (12 if unit == "y" else 1))


def from_taskwarrior(recur: str) -> str | None:
    """Our period for a Taskwarrior `recur` value, or None when it has none (hours, say)."""
    word = recur.strip().lower()
    if word in _TW_NAMED:
        return _TW_NAMED[word]
    m = re.fullmatch(r"(\d*)\s*([a-z]+)", word)
    if m and m.group(2) in _TW_UNITS:
        n = int(m.group(1) or 1)
        return f"{n}{_TW_UNITS[m.group(2)]}" if 0 < n < 1000 else None
    iso = _ISO.fullmatch(recur.strip().upper())
    if iso and any(iso.groups()):
        parts = [(int(v), u) for v, u in zip(iso.groups(), "ymwd", strict=True) if v]
        if len(parts) == 1 and 0 < parts[0][0] < 1000:
            return f"{parts[0][0]}{parts[0][1]}"
    return None


def to_taskwarrior(period: str) -> str:
    """Taskwarrior's spelling of one of our periods (its `m` is minutes: months are `mo`)."""
    if period in ("weekdays", *NAMED):
        return period
    names = {v: k for k, v in NAMED.items()}
    if period in names:
        return names[period]
    m = _STEP.fullmatch(period)
    if m is None:
        return period
    unit = {"d": "d", "w": "w", "m": "mo", "y": "y"}[m.group(2)]
    return f"{m.group(1)}{unit}"
