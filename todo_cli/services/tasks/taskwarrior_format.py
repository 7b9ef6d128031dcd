"""Taskwarrior 2.6's JSON records, to ours and back, losing nothing.

What `task export` writes and `task import` takes is written up, with a test per claim, in
tests/fixtures/taskwarrior/FORMAT.md. The mapping:

    description -> title        entry -> created_at     modified -> updated_at
    status      -> completed (completed), the trash (deleted), a template (recurring);
                   waiting is pending with a `wait`    end -> completed_at / deleted_at
    due, wait, scheduled, until, start, project, tags, annotations, depends: as they are
    priority H/M/L -> high/medium/low     recur -> the template's period
    parent, imask -> the instance's template and its index in the series
    anything else (UDAs, `mask`, `rtype`, a spelling of `recur` we write otherwise, a
    description longer than a title) -> `extra`, written back as it came.

`id` and `urgency` are not kept: Taskwarrior computes both again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from todo_cli.errors import BadInput
from todo_cli.periods import from_taskwarrior as period_from_tw
from todo_cli.periods import to_taskwarrior as period_to_tw
from todo_cli.rules import TITLE_MAX

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_PRIORITY = {"H": "high", "M": "medium", "L": "low"}
_LETTER = {v: k for k, v in _PRIORITY.items()}
_STATUSES = ("pending", "waiting", "completed", "deleted", "recurring")
# Fields mapped to our columns; everything else goes to `extra`.
_MAPPED = frozenset(
    ("id", "urgency", "description", "status", "entry", "modified", "end", "due", "wait",
     "scheduled", "until", "start", "project", "priority", "tags", "annotations", "depends",
     "recur", "parent", "imask", "uuid")
)  # fmt: skip
_DATES = ("due", "wait", "scheduled", "until", "start")


def tw_date(value: Any) -> Any:
    """`20261125T103000Z` -> `2026-11-25T10:30:00+00:00`; anything else is left to validation."""
    if type(value) is str and len(value) == 16 and value[8] == "T" and value[15] == "Z":
        day, clock = value[:8], value[9:15]
        return f"{day[:4]}-{day[4:6]}-{day[6:]}T{clock[:2]}:{clock[2:4]}:{clock[4:]}+00:00"
    m = _DATE.fullmatch(value) if isinstance(value, str) else None
    return "{}-{}-{}T{}:{}:{}+00:00".format(*m.groups()) if m else value


def _list(value: Any, n: int, what: str) -> list[Any]:
    """An array, or Taskwarrior's comma-separated string form of one."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    if isinstance(value, list):
        return value
    raise BadInput(f"record {n}: {what} must be an array")


def from_taskwarrior(r: Mapping[str, Any], n: int) -> dict[str, Any]:
    """A Taskwarrior `task export` object as one of our records (see the module docstring)."""
    extra = {k: v for k, v in r.items() if k not in _MAPPED}
    status = r.get("status", "pending")
    if status not in _STATUSES:
        raise BadInput(f"record {n}: status {status!r} is not one of {', '.join(_STATUSES)}")
    title = r.get("description")
    if isinstance(title, str) and len(title) > TITLE_MAX:
        extra["description"] = title  # the whole of it, written back on export
        title = title[:TITLE_MAX]
    priority = r.get("priority")
    if priority is not None and priority != "":
        if priority in _PRIORITY:
            priority = _PRIORITY[priority]
        else:  # Taskwarrior takes any value: kept as it is
            extra["priority"], priority = priority, None
    else:
        priority = None
    notes = r.get("annotations") or []
    if not isinstance(notes, list) or not all(isinstance(a, dict) for a in notes):
        raise BadInput(f"record {n}: annotations must be a list of objects")
    end, modified = tw_date(r.get("end")), tw_date(r.get("modified"))
    record: dict[str, Any] = {
        "uuid": r.get("uuid"),
        "title": title,
        "status": "pending" if status == "waiting" else status,
        "priority": priority,
        "tags": _list(r.get("tags"), n, "tags"),
        "project": r.get("project") or None,
        "created_at": tw_date(r.get("entry")),
        "updated_at": modified,
        "completed_at": end if status == "completed" else None,
        "deleted_at": (end or modified) if status == "deleted" else None,
        "depends": _list(r.get("depends"), n, "depends"),
        "annotations": [
            {"entry": tw_date(a.get("entry")), "description": a.get("description")} for a in notes
        ],
    }
    for name in _DATES:
        if name in r:
            record[name] = tw_date(r[name])
    _recurrence(r, status, record, extra)
    record["extra"] = extra
    return record


def _recurrence(
    r: Mapping[str, Any], status: str, record: dict[str, Any], extra: dict[str, Any]
) -> None:
    recur = r.get("recur")
    if recur is not None:
        ours = period_from_tw(recur) if isinstance(recur, str) else None
        if status == "recurring" and ours is not None:
            record["recur"] = ours
            if period_to_tw(ours) != recur:
                extra["recur"] = recur  # the spelling it came with
        else:  # an instance's copy, a finished template's, or one we cannot repeat
            extra["recur"] = recur
            if status == "recurring":
                extra["status"] = status
                record["status"] = "pending"
    parent, imask = r.get("parent"), r.get("imask")
    if parent is not None:
        index = _index(imask)
        if isinstance(parent, str) and index is not None and "recur" in record:
            extra["parent"], extra["imask"] = parent, imask
        elif isinstance(parent, str) and index is not None:
            record["parent"], record["recur_index"] = parent.lower(), index
        else:
            extra["parent"] = parent
            if imask is not None:
                extra["imask"] = imask
    elif imask is not None:
        extra["imask"] = imask


def _index(imask: Any) -> int | None:
    """`imask` as an index: Taskwarrior writes 3, or 3.000000 after its own re-import."""
    try:
        value = float(imask)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() and 0 <= value < 2**31 else None


def _date(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_taskwarrior(t: Mapping[str, Any], instances: Mapping[int, str]) -> dict[str, Any]:
    """Our task (a row of `exporting`'s query) as a record `task import` takes back.

    `instances`: a template's, index -> `-`, `+` or `X`, for its `mask`. Fields from `extra` are
    written back under their own names; our notes (`description`), which Taskwarrior has no
    field for, become an annotation at the task's creation time.
    """
    extra: dict[str, Any] = dict(t["extra"] or {})
    out: dict[str, Any] = {"description": extra.pop("description", t["title"])}
    if t["deleted_at"] is not None:
        status, end = "deleted", t["deleted_at"]
    elif t["recur"] is not None:
        status, end = "recurring", None
    elif t["completed"]:
        status, end = "completed", t["completed_at"] or t["updated_at"]
    else:
        status, end = "pending", None
    out["status"] = extra.pop("status", status)
    out["uuid"] = t["uuid"]
    out["entry"], out["modified"] = _date(t["created_at"]), _date(t["updated_at"])
    if end is not None:
        out["end"] = _date(end)
    for name in _DATES:
        if t[name] is not None:
            out[name] = _date(t[name])
    if t["project"]:
        out["project"] = t["project"]
    if t["priority"]:
        out["priority"] = _LETTER[t["priority"]]
    recur = t["recur"] or t["parent_recur"]
    if recur is not None:
        out["recur"] = period_to_tw(recur)
        out["rtype"] = "periodic"
    if t["recur"] is not None:
        mask = mask_of(extra.pop("mask", None), instances, t["wait"] is not None)
        if mask:
            out["mask"] = mask
    if t["parent_uuid"] is not None:
        out["parent"] = t["parent_uuid"]
        out["imask"] = t["recur_index"]
    out.update(extra)  # the fields as they came: UDAs, mask, rtype, recur's spelling...
    notes = [
        {"entry": _date(a["entry"]), "description": a["description"]} for a in t["annotations"]
    ]
    if t["description"]:
        notes.insert(0, {"entry": _date(t["created_at"]), "description": t["description"]})
    if notes:
        out["annotations"] = notes
    if t["tags"]:
        out["tags"] = sorted(t["tags"])
    if t["depends"]:
        out["depends"] = sorted(t["depends"])
    return out


def mask_of(stored: str | None, instances: Mapping[int, str], waiting: bool) -> str:
    """A template's `mask`: a character per instance so far (`-` pending, `+` completed, `X`
    deleted, `W` pending from a waiting template). The mask it came with is kept where its
    instances have not changed state since (or are gone)."""
    size = max([len(stored or ""), *(i + 1 for i in instances)])
    chars = list((stored or "").ljust(size, "-"))
    for i, state in instances.items():
        if state != "-":
            chars[i] = state
        elif chars[i] not in "-W":
            chars[i] = "W" if waiting else "-"
    return "".join(chars)
