"""The statements of a change to tasks, shared by every write: the journal entries before and
after, the next instance of a recurrence, the urgency of the tasks a change touches, and the
rows to show. They run as one pipeline (`pipeline.py`).

Every statement finds the current user by key (`ME`, bound to `:me_key`) and the tasks of this
change through the journal (`CHANGED`): a change's journal rows are written first, so later
statements act on exactly the tasks that it changes, and a change whose checks fail journals
nothing and so does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from todo_cli.services.tasks import images, urgency
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.work import Work

CHANGED = "(SELECT task_uuid FROM journal WHERE user_id = ({me}) AND change = :change)"
_INSTANCE_COLUMNS = (
    "user_id, uuid, title, description, completed, priority, due, due_all_day, tags, project, wait,"
    " scheduled, until, parent_id, recur_index, created_at, updated_at, extra, urgency_base"
)


@dataclass
class Change:
    """One change's statements and parameters, built up and then run."""

    w: Work
    command: str  # what the journal calls this change (`complete 3 4`)
    now: datetime

    def __post_init__(self) -> None:
        self.f = Fragments(self.w.dialect)
        me, key = self.w.user.lookup_sql()
        self.me = me
        self.params: dict[str, Any] = {
            **key,
            "change": self.w.request_key,
            "command": self.command[:200],
            "now": self.now,
        }
        self.statements: list[str] = []

    def sql(self, text: str) -> str:
        return text.replace("{me}", self.me).replace("{changed}", CHANGED.replace("{me}", self.me))

    def add(self, text: str, **params: Any) -> Change:
        self.statements.append(self.sql(text))
        self.params.update(params)
        return self

    def journal_before(self, action: str, where: str) -> Change:
        """Journal the tasks `t` matching `where` (before they change)."""
        return self.add(
            "INSERT INTO journal (user_id, change, command, at, task_uuid, action, before)"
            f" SELECT t.user_id, :change, :command, :now, t.uuid, '{action}',"
            f" {images.image(self.f, 't')} FROM tasks t WHERE {where}"
        )

    def journal_added(self, where: str) -> Change:
        """Journal new tasks `t` matching `where` (once: a retry finds them journaled)."""
        return self.add(
            "INSERT INTO journal (user_id, change, command, at, task_uuid, action)"
            " SELECT t.user_id, :change, :command, :now, t.uuid, 'add' FROM tasks t"
            f" WHERE ({where}) AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.user_id ="
            " t.user_id AND j.change = :change AND j.task_uuid = t.uuid)"
        )

    def next_instances(self) -> Change:
        """The next instance of each recurrence whose instance this change completes or
        deletes, unless its series has ended (`until`) or it exists already: the unique
        (parent_id, recur_index) makes a second copy impossible, whoever makes it."""
        f = self.f
        n = "i.recur_index + 1"
        due = f.next_due("tpl.due", "tpl.recur", n)
        wait = (
            "CASE WHEN tpl.wait IS NULL THEN NULL ELSE"
            f" {f.next_due('tpl.wait', 'tpl.recur', n)} END"
        )
        scheduled = (
            "CASE WHEN tpl.scheduled IS NULL THEN NULL ELSE"
            f" {f.next_due('tpl.scheduled', 'tpl.recur', n)} END"
        )
        self.add(
            f"INSERT INTO tasks ({_INSTANCE_COLUMNS})"
            f" SELECT tpl.user_id, {f.new_uuid}, tpl.title, tpl.description, {f.false},"
            f" tpl.priority, {due}, tpl.due_all_day, tpl.tags, tpl.project, {wait}, {scheduled},"
            " tpl.until,"
            f" tpl.id, {n}, :now, :now, {f.json_value(repr('{}'))}, 0"
            " FROM tasks i JOIN tasks tpl ON tpl.id = i.parent_id"
            " WHERE i.user_id = ({me}) AND i.uuid IN {changed} AND tpl.recur IS NOT NULL"
            " AND tpl.deleted_at IS NULL AND i.recur_index IS NOT NULL"
            f" AND (tpl.until IS NULL OR {due} <= tpl.until)"
            " ON CONFLICT (parent_id, recur_index) DO NOTHING"
        )
        return self.journal_added(
            "t.user_id = ({me}) AND t.created_at = :now AND t.parent_id IN"
            " (SELECT i.parent_id FROM tasks i WHERE i.user_id = ({me}) AND i.uuid IN {changed})"
        )

    def refresh_urgency(self) -> Change:
        """The stored urgency of the changed tasks, what they depend on, and what depends on
        them (blocked and blocking move with them)."""
        # One `id IN (... UNION ...)`, not `uuid IN ... OR id IN ...`: PostgreSQL answers an
        # OR of subqueries by reading every task of the user (2.6 s at 100,000 tasks,
        # bench/undo.py), the UNION by a few index lookups.
        around = (
            "user_id = ({me}) AND id IN (SELECT id FROM tasks WHERE user_id = ({me})"
            " AND uuid IN {changed}"
            " UNION SELECT t.id FROM tasks t JOIN task_dependencies d ON t.uuid = d.depends_on"
            " JOIN tasks c ON c.id = d.task_id WHERE t.user_id = ({me}) AND c.user_id = ({me})"
            " AND c.uuid IN {changed}"
            " UNION SELECT d.task_id FROM task_dependencies d WHERE d.user_id = ({me})"
            " AND d.depends_on IN {changed})"
        )
        return self.add(urgency.refresh_sql(self.f.dialect, around))

    def journal_after(self) -> Change:
        return self.add(
            f"UPDATE journal SET after = (SELECT {images.image(self.f, 't')} FROM tasks t"
            " WHERE t.user_id = journal.user_id AND t.uuid = journal.task_uuid)"
            " WHERE user_id = ({me}) AND change = :change AND action <> 'delete'"
        )

    def show(self, also: str = "") -> Change:
        """The rows to show: each task this change journaled (with what it did to it:
        `add`, `modify`), and the tasks `also` picks (with a null action)."""
        pick = f" OR ({also})" if also else ""
        return self.add(
            f"SELECT j.action AS action, {images.columns(self.f, 't')} FROM tasks t"
            " LEFT JOIN journal j ON j.user_id = t.user_id AND j.task_uuid = t.uuid"
            " AND j.change = :change"
            f" WHERE t.user_id = ({{me}}) AND (j.id IS NOT NULL{pick}) ORDER BY t.id"
        )

    def run(self) -> list[Row[Any]]:
        from todo_cli.services.tasks import pipeline

        return pipeline.run(self.w, self.statements, self.params, images.RESULT_TYPES)
