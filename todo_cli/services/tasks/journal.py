"""`todo undo`: revert the current user's latest change, as the journal recorded it.

A change is every journal entry with one `change` key (one command). Undo puts each task back
as its before-image says (an added task goes, a removed one comes back with its id, notes and
dependencies), marks the entries undone, and so the change before becomes the latest. Finding
the latest change and its entries reads two indexes from their ends: it costs the same with
ten entries as with a million.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlmodel import col

from todo_cli.columns import JsonValue
from todo_cli.errors import NotFound
from todo_cli.models import Task
from todo_cli.services.tasks import images, urgency
from todo_cli.services.tasks.changes import Change
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.work import Work, unit_of_work
from todo_cli.task_tables import Annotation, JournalEntry, TaskDependency
from todo_cli.when import utcnow

RECENT = 500  # journal entries `undo --list` looks through


@dataclass(frozen=True)
class ChangeSummary:
    change: str
    command: str
    at: datetime
    tasks: int


@dataclass(frozen=True)
class UndoPlan:
    """The change `undo` would revert, and the tasks changed since by something that did not
    journal it (a web app on the same database, say): undoing would overwrite those."""

    summary: ChangeSummary
    changed_since: list[str]  # uuids


def _latest(w: Work) -> list[JournalEntry]:
    latest = (
        select(col(JournalEntry.change))
        .where(col(JournalEntry.user_id) == w.me, col(JournalEntry.undone_at).is_(None))
        .order_by(col(JournalEntry.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    entries = w.session.scalars(
        select(JournalEntry)
        .where(col(JournalEntry.user_id) == w.me, col(JournalEntry.change) == latest)
        .order_by(col(JournalEntry.id))
    ).all()
    if not entries:
        w.check_user()
        raise NotFound("nothing to undo")
    return list(entries)


def _summary(entries: list[JournalEntry]) -> ChangeSummary:
    first = entries[0]
    return ChangeSummary(first.change, first.command, first.at, len({e.task_uuid for e in entries}))


def _images_now(w: Work, uuids: list[str]) -> dict[str, Any]:
    sql = (
        f"SELECT t.uuid, {images.image(Fragments(w.dialect), 't')} AS image FROM tasks t"
        " WHERE t.user_id = :user AND t.uuid IN :uuids"
    )
    stmt = text(sql).bindparams(bindparam("uuids", expanding=True)).columns(image=JsonValue())
    rows = w.session.execute(stmt, {"user": w.user_id(), "uuids": uuids}).all()
    return {r[0]: r[1] for r in rows}


def _same(a: Any, b: Any) -> bool:
    """Two images of one task agree (timestamps compared as instants)."""
    if a is None or b is None:
        return a is b
    keys = set(a) | set(b)
    return all(_value(a.get(k)) == _value(b.get(k)) for k in keys - {"urgency_base"})


def _value(v: Any) -> Any:
    if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] in " T":
        try:
            return images.moment(v)
        except ValueError:
            return v
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    return v


@unit_of_work()
def plan(w: Work) -> UndoPlan:
    """What `undo` would do, to show or ask about first."""
    entries = _latest(w)
    now = _images_now(w, [e.task_uuid for e in entries])
    changed = [e.task_uuid for e in entries if not _same(now.get(e.task_uuid), e.after)]
    return UndoPlan(_summary(entries), changed)


@unit_of_work(write=True, check="todo undo --list")
def undo(w: Work, change: str) -> ChangeSummary:
    """Revert `change` (the latest; a newer one since the plan is refused)."""
    entries = _latest(w)
    if entries[0].change != change:
        raise NotFound("the latest change is not the one that was shown: look again (undo --list)")
    uid = w.user_id()
    for entry in reversed(entries):
        _revert(w, uid, entry)
    w.session.flush()
    c = Change(w, "undo", utcnow())
    c.params.update(uuids=[e.task_uuid for e in entries])
    around = (  # the tasks put back, and those whose blocked state follows them (a UNION:
        # see Change.refresh_urgency)
        "user_id = ({me}) AND id IN (SELECT id FROM tasks WHERE user_id = ({me}) AND uuid IN"
        " :uuids UNION SELECT d.task_id FROM task_dependencies d WHERE d.user_id = ({me})"
        " AND d.depends_on IN :uuids)"
    )
    c.add(urgency.refresh_sql(w.dialect, around)).run()
    w.session.execute(
        update(JournalEntry)
        .where(col(JournalEntry.user_id) == uid, col(JournalEntry.change) == change)
        .values(undone_at=c.now)
    )
    return _summary(entries)


_RESTORED = (
    "title", "description", "completed", "priority", "due", "due_all_day", "tags", "project",
    "wait", "scheduled", "until", "start", "recur", "parent_id", "recur_index", "created_at",
    "updated_at", "completed_at", "deleted_at", "extra",
)  # fmt: skip


def _revert(w: Work, uid: str, entry: JournalEntry) -> None:
    task = w.session.scalars(
        select(Task).where(col(Task.user_id) == uid, col(Task.uuid) == entry.task_uuid)
    ).first()
    before = entry.before
    if before is None:  # it was added: it goes
        if task is not None:
            w.session.delete(task)
        return
    if task is None:  # it was removed: it comes back, id and all
        task = Task(
            id=int(str(before["id"])), user_id=uid, uuid=entry.task_uuid, title=str(before["title"])
        )
        w.session.add(task)
    for name in _RESTORED:
        value = before.get(name)
        if name.endswith("_at") or name in ("due", "wait", "scheduled", "until", "start"):
            value = images.moment(value)
        if name in ("completed", "due_all_day"):  # an image older than due_all_day: False
            value = bool(value)
        setattr(task, name, value if value is not None or name != "tags" else [])
    w.session.flush()
    task_id = int(task.id or 0)
    w.session.execute(delete(Annotation).where(col(Annotation.task_id) == task_id))
    w.session.execute(delete(TaskDependency).where(col(TaskDependency.task_id) == task_id))
    notes: list[dict[str, Any]] = before.get("annotations") or []  # type: ignore[assignment]
    for note in notes:
        at = images.moment(note["entry"]) or utcnow()
        w.session.add(
            Annotation(task_id=task_id, user_id=uid, entry=at, description=note["description"])
        )
    depends: list[str] = before.get("depends") or []  # type: ignore[assignment]
    for uuid in depends:
        w.session.add(TaskDependency(task_id=task_id, depends_on=uuid, user_id=uid))


@unit_of_work(one_statement=True)
def recent(w: Work, limit: int = 20) -> list[ChangeSummary]:
    """The latest changes that can be undone, newest first (from the last `RECENT` entries)."""
    entries = w.session.scalars(
        select(JournalEntry)
        .where(col(JournalEntry.user_id) == w.me, col(JournalEntry.undone_at).is_(None))
        .order_by(col(JournalEntry.id).desc())
        .limit(RECENT)
    ).all()
    if not entries:
        w.check_user()
    grouped: dict[str, list[JournalEntry]] = {}
    for e in entries:
        grouped.setdefault(e.change, []).append(e)
    return [_summary(sorted(g, key=lambda e: e.id or 0)) for g in grouped.values()][:limit]
