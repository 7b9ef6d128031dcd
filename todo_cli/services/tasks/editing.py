"""Changes that need the tasks in hand first: edit (one or more tasks), annotate, denotate,
and removing tasks for good (delete --hard, purge). Each is one transaction, journaled like
every change (the journal's before-images are taken before anything moves)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select, text
from sqlmodel import col

from todo_cli.errors import BadInput, NotFound
from todo_cli.models import Task
from todo_cli.rules import row_id
from todo_cli.services.tasks.changes import Change
from todo_cli.services.tasks.listing import own
from todo_cli.services.tasks.writes import CHECK, Outcome, _outcome
from todo_cli.services.work import Work, unit_of_work
from todo_cli.table_parts import new_uuid
from todo_cli.task_schemas import TaskUpdate
from todo_cli.task_tables import Annotation, TaskDependency
from todo_cli.when import stored_due, utcnow

_CLEARABLE = ("due", "project", "wait", "scheduled", "until", "priority")
_FIELDS = ("title", "description", "priority", "due", "project", "wait", "scheduled", "until")


def _begin(w: Work, command: str, ids: list[int]) -> Change:
    """Journal the tasks `ids` before they change (all of them are the user's)."""
    c = Change(w, command, utcnow())
    c.params.update(ids=ids)
    c.journal_before("modify", "t.user_id = ({me}) AND t.id IN :ids")
    c.run()
    c.statements.clear()
    return c


def _finish(w: Work, c: Change, also: str = "") -> Outcome:
    w.session.flush()
    return _outcome(c.refresh_urgency().journal_after().show(also).run(), c.now)


_COMPARED = (*_FIELDS, "due_all_day", "tags", "recur", "parent_id", "recur_index")


def _state(task: Task) -> tuple[object, ...]:
    return tuple(getattr(task, name) for name in _COMPARED)


@unit_of_work(write=True, check=CHECK)
def edit(w: Work, ids: Sequence[int], changes: TaskUpdate) -> Outcome:
    """Change only what was given, on each of `ids`; `updated_at` moves where something did."""
    given = changes.model_fields_set - {"clear"}
    if not given and not changes.clear:
        raise BadInput("nothing to change: give a new title, --due, --project, tags or the like")
    wanted = sorted(set(ids))
    tasks = [own(w, i, lock=True) for i in wanted]
    templates = [t.parent_id for t in tasks if t.parent_id and "recur" in given | changes.clear]
    c = _begin(w, f"edit {' '.join(map(str, wanted))}", sorted({*wanted, *templates}))
    depends_add = _uuids(w, changes.add_depends)
    depends_drop = set(_uuids(w, changes.remove_depends))
    unchanged: list[str] = []
    absent: dict[int, list[str]] = {}
    for task in tasks:
        before = _state(task)
        if missing := [t for t in changes.remove_tags if t not in task.tags]:
            absent[int(task.id or 0)] = missing
        for name in _FIELDS:
            if name in given:
                value = getattr(changes, name)
                if name == "due":
                    task.due, task.due_all_day = stored_due(value)
                else:
                    setattr(task, name, value.rank if name == "priority" and value else value)
        for name in changes.clear & set(_CLEARABLE):
            setattr(task, name, None)
            if name == "due":
                task.due_all_day = False
        if "add_tags" in given or "remove_tags" in given:
            keep = [t for t in task.tags if t not in changes.remove_tags]
            task.tags = list(dict.fromkeys(keep + changes.add_tags))
        if "recur" in given or "recur" in changes.clear:
            _recurrence(w, task, changes.recur)
        for uuid in depends_add:
            _no_cycle(w, task, uuid)
            dependency = TaskDependency(
                task_id=int(task.id or 0), depends_on=uuid, user_id=task.user_id
            )
            w.session.merge(dependency)
        dropped = 0
        if depends_drop:
            gone = w.session.execute(
                delete(TaskDependency).where(
                    col(TaskDependency.task_id) == task.id,
                    col(TaskDependency.depends_on).in_(depends_drop),
                )
            )
            dropped = int(getattr(gone, "rowcount", 1))  # a CursorResult: how many went
        if _state(task) == before and not depends_add and not dropped:
            unchanged.append(task.uuid)  # already so: no new updated_at, nothing to undo
        else:
            task.updated_at = c.now
    if unchanged:
        w.session.execute(
            text(
                "DELETE FROM journal WHERE user_id = :u AND change = :c AND task_uuid IN :t"
            ).bindparams(bindparam("t", expanding=True)),
            {"u": tasks[0].user_id, "c": c.params["change"], "t": unchanged},
        )
    out = _finish(w, c, also="t.id IN :ids")
    out.absent_tags = absent
    return out


def _uuids(w: Work, ids: Sequence[int]) -> list[str]:
    return [own(w, i, live=False).uuid for i in dict.fromkeys(ids)]


def _no_cycle(w: Work, task: Task, depends_on: str) -> None:
    """Refuse a dependency that would close a loop: `task` may not depend on itself, nor on
    a task that depends on it, however far along."""
    if depends_on == task.uuid:
        raise BadInput(f"task {task.id} cannot depend on itself")
    loop = w.session.execute(
        text(
            "WITH RECURSIVE reach(uuid) AS (SELECT CAST(:start AS VARCHAR(36)) UNION"
            " SELECT d.depends_on FROM reach JOIN tasks t ON t.user_id = :user"
            " AND t.uuid = reach.uuid JOIN task_dependencies d ON d.task_id = t.id)"
            " SELECT 1 FROM reach WHERE uuid = :target"
        ),
        {"start": depends_on, "user": task.user_id, "target": task.uuid},
    ).first()
    if loop is not None:
        raise BadInput(f"task {task.id} cannot depend on that task: it depends on task {task.id}")


def _recurrence(w: Work, task: Task, period: str | None) -> None:
    """Start, change or end the recurrence a task is (or belongs to)."""
    template = (
        task if task.recur else w.session.get(Task, task.parent_id) if task.parent_id else None
    )
    if period is None:  # --no-recur: the series ends; the instances stay ordinary tasks
        if template is not None:
            template.deleted_at = utcnow()
        return
    if template is not None:
        template.recur = period
        return
    if task.due is None:
        raise BadInput(f"task {task.id} needs a due date to recur: give --due as well")
    fields = ("user_id", "title", "description", "priority", "due", "due_all_day", "tags")
    made = Task(**{f: getattr(task, f) for f in fields}, uuid=new_uuid(), recur=period)
    made.project, made.wait, made.scheduled, made.until = (
        task.project,
        task.wait,
        task.scheduled,
        task.until,
    )
    w.session.add(made)
    w.session.flush()
    task.parent_id, task.recur_index = made.id, 0


@unit_of_work(write=True, check=CHECK)
def annotate(w: Work, task_id: int, note: str) -> Outcome:
    task = own(w, task_id, live=False)
    c = _begin(w, f"annotate {task_id}", [task_id])
    made = Annotation(
        task_id=int(task.id or 0), user_id=task.user_id, description=note, entry=c.now
    )
    w.session.add(made)
    task.updated_at = c.now
    return _finish(w, c)


@unit_of_work(write=True, check=CHECK)
def denotate(w: Work, task_id: int, note: str) -> Outcome:
    """Remove the annotation with exactly this text, else the only one that starts with it."""
    task = own(w, task_id, live=False)
    notes = w.session.scalars(select(Annotation).where(col(Annotation.task_id) == task.id)).all()
    exact = [a for a in notes if a.description == note]
    match = exact or [a for a in notes if a.description.startswith(note)]
    if not match:
        raise NotFound(f"task {task_id} has no annotation {note!r}")
    if len(match) > 1 and not exact:
        raise BadInput(f"{len(match)} annotations of task {task_id} start with {note!r}: give more")
    c = _begin(w, f"denotate {task_id}", [task_id])
    w.session.delete(match[0])
    task.updated_at = c.now
    return _finish(w, c)


def _remove(w: Work, command: str, where: str, params: dict[str, object]) -> int:
    """Journal (as `delete`, with everything needed to bring them back) and remove tasks."""
    c = Change(w, command, utcnow())
    c.params.update(params)
    c.journal_before("delete", where)
    c.add("DELETE FROM tasks WHERE user_id = ({me}) AND uuid IN {changed}")
    c.refresh_urgency()  # what they blocked is free now
    c.add("SELECT count(*) FROM journal WHERE user_id = ({me}) AND change = :change")
    return int(c.run()[0][0])


@unit_of_work(write=True, check=CHECK)
def hard_delete(w: Work, ids: Sequence[int]) -> int:
    """Remove tasks for good (live or in the trash); all of them or none."""
    wanted = sorted({row_id(i, f"no task with id {i}; nothing was changed") for i in ids})
    found = w.session.scalars(
        select(col(Task.id)).where(col(Task.user_id) == w.me, col(Task.id).in_(wanted))
    ).all()
    missing = [i for i in wanted if i not in set(found)]
    if missing:
        w.check_user()
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise NotFound(f"no task with id {missing[0]}{more}; nothing was changed")
    where = "t.user_id = ({me}) AND t.id IN :ids"
    return _remove(w, f"delete --hard {' '.join(map(str, wanted))}", where, {"ids": wanted})


def _purge_where(older_than_days: int | None) -> tuple[str, dict[str, object]]:
    where = "t.user_id = ({me}) AND t.deleted_at IS NOT NULL"
    if older_than_days is None:
        return where, {}
    if older_than_days < 0:
        raise BadInput(f"--older-than must be 0 or more days (got {older_than_days})")
    return where + " AND t.deleted_at < :before", {
        "before_at": utcnow() - timedelta(days=older_than_days)
    }


@unit_of_work(one_statement=True)
def purgeable(w: Work, older_than_days: int | None) -> tuple[int, list[tuple[int, str]]]:
    """How many tasks `purge` would remove, and the first few (id, title), to ask about."""
    where = [col(Task.user_id) == w.me, col(Task.deleted_at).is_not(None)]
    if older_than_days is not None:
        _purge_where(older_than_days)  # the same check of the number
        where.append(col(Task.deleted_at) < utcnow() - timedelta(days=older_than_days))
    total = select(func.count()).select_from(Task).where(*where).scalar_subquery()
    rows = w.session.execute(
        select(col(Task.id), col(Task.title), total).where(*where).order_by(col(Task.id)).limit(11)
    ).all()
    if not rows:
        w.check_user()
        return 0, []
    return int(rows[0][2]), [(int(r[0]), str(r[1])) for r in rows]


@unit_of_work(write=True, check=CHECK)
def purge(w: Work, older_than_days: int | None) -> int:
    """Empty the trash (only what was deleted more than N days ago, if given)."""
    where, params = _purge_where(older_than_days)
    count = _remove(w, "purge", where.replace(":before", ":before_at"), params)
    if not count:
        w.check_user()
    return count
