"""the task model: uuids, projects, dates, recurrence, annotations, dependencies, journal

Tasks gain `uuid`, `project`, `wait`, `scheduled`, `until`, `start`, recurrence (`recur` on a
template, `parent_id` and `recur_index` on its instances), `extra` (fields an import brought
that todo does not model) and `urgency_base`; new tables hold annotations, dependencies and the
journal of changes that `todo undo` reverts.

A due date without a time becomes a calendar day (`due_all_day`, stored as that day's 23:59:59
UTC): until now a bare date was stored as the last second of the day in the zone of whoever
added it, so a due time at hh:mm:59 with mm a quarter-hour less a minute is read back as that
day (in this machine's zone, or else the zone offset nearest to it). The downgrade turns each
all-day date back into this machine's last second of the day.

Every existing task gets a new uuid (a version 4 uuid, lowercase, as Taskwarrior writes them)
and its time-independent urgency (priority, tags, due), with the coefficients frozen below.
SQLite adds the columns in place, fills them, then rebuilds `tasks` once for the NOT NULL and
the constraints (batch mode, from the frozen definition below: no reflection, so `--sql`
works too). PostgreSQL alters the table in place. The downgrade drops what it added; the
tasks themselves are kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from todo_cli import ddl

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade removes that holds data (`todo db downgrade` asks first; a test checks it).
DROPS: tuple[str, ...] = (
    "annotations",
    "task_dependencies",
    "journal",
    "tasks.project",
    "tasks.wait",
    "tasks.scheduled",
    "tasks.until",
    "tasks.start",
    "tasks.recur",
    "tasks.parent_id",
    "tasks.recur_index",
)
NEW_COLUMNS = (
    "uuid",
    "due_all_day",
    "project",
    "wait",
    "scheduled",
    "until",
    "start",
    "recur",
    "parent_id",
    "recur_index",
    "extra",
    "urgency_base",
)
WHEN = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
END_OF_DAY = time(23, 59, 59)
HAS_KEY = sa.text("request_key IS NOT NULL")
LIVE, TRASHED = sa.text("deleted_at IS NULL"), sa.text("deleted_at IS NOT NULL")
# Frozen: urgency's time-independent part for what a task could have before this revision.
PRIORITY_TERMS = {3: 6.0, 2: 3.9, 1: 1.8}
TAG_TERMS = {1: 0.8, 2: 0.9}  # 3 or more: 1.0
DUE_FAR = 2.4  # 12.0 x 0.2: a due date far away
NEXT_TAG = 15.0
SQLITE_UUID = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || "
    "substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || "
    "lower(hex(randomblob(6)))"
)


def _new_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("uuid", sa.String(36), nullable=True),  # NOT NULL once filled
        sa.Column("due_all_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("project", sa.String(200)),
        sa.Column("wait", WHEN),
        sa.Column("scheduled", WHEN),
        sa.Column("until", WHEN),
        sa.Column("start", WHEN),
        sa.Column("recur", sa.String(32)),
        sa.Column("parent_id", sa.Integer()),
        sa.Column("recur_index", sa.Integer()),
        sa.Column("extra", JSON, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("urgency_base", sa.Float(), server_default=sa.text("0"), nullable=False),
    ]


def _sqlite_tasks(md: sa.MetaData) -> sa.Table:
    """`tasks` as 0006 left it plus the columns added in place above, for the rebuild."""
    users = sa.Table("users", md, sa.Column("id", sa.String(64), primary_key=True))
    return sa.Table(
        "tasks",
        md,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000)),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer()),
        sa.Column("due", WHEN),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("completed_at", WHEN),
        sa.Column("deleted_at", WHEN),
        sa.Column("tags", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("request_key", sa.String(64)),
        *_new_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.CheckConstraint(
            "description IS NULL OR length(description) <= 1000", name="ck_tasks_description_length"
        ),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_tasks_title_length"),
        sa.CheckConstraint(
            "priority IS NULL OR priority IN (1, 2, 3)", name="ck_tasks_priority_range"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [users.c.id], name="fk_tasks_user_id_users", ondelete="CASCADE"
        ),
        sa.Index("ix_tasks_user_deleted", "user_id", "deleted_at", sqlite_where=TRASHED),
        sa.Index(
            "ix_tasks_user_live_created",
            "user_id",
            "completed",
            "created_at",
            "id",
            sqlite_where=LIVE,
        ),
        sa.Index("ix_tasks_user_live_due", "user_id", "due", sqlite_where=LIVE),
        sa.Index("uq_tasks_request_key", "request_key", unique=True, sqlite_where=HAS_KEY),
    )


def _urgency_sql(pg: bool) -> str:
    count = "jsonb_array_length(tags)" if pg else "json_array_length(tags)"
    has_next = (
        "tags ? 'next'" if pg else "EXISTS (SELECT 1 FROM json_each(tags) WHERE value = 'next')"
    )
    priority = " ".join(f"WHEN {rank} THEN {term}" for rank, term in PRIORITY_TERMS.items())
    tags = " ".join(f"WHEN {n} THEN {term}" for n, term in TAG_TERMS.items())
    return (
        f"UPDATE tasks SET urgency_base = (CASE priority {priority} ELSE 0 END)"
        f" + (CASE {count} WHEN 0 THEN 0 {tags} ELSE 1.0 END)"
        f" + (CASE WHEN due IS NULL THEN 0 ELSE {DUE_FAR} END)"
        f" + (CASE WHEN {has_next} THEN {NEXT_TAG} ELSE 0 END)"
    )


# When instance n of a recurrence is due (todo_cli/periods.py says the same in Python, which
# SQLite runs; a test holds the two together). Month steps count from the first due date in UTC
# and clamp to the month's end, as PostgreSQL's interval arithmetic does.
NEXT_DUE = """
CREATE FUNCTION todo_next_due(first timestamptz, period text, n integer)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text[];
    k integer;
    day timestamptz;
    steps integer;
BEGIN
    IF first IS NULL OR period IS NULL OR n IS NULL THEN
        RETURN NULL;
    END IF;
    IF period = 'weekdays' THEN
        day := first;
        steps := n;
        WHILE steps > 0 LOOP
            day := day + interval '1 day';
            IF extract(isodow FROM day AT TIME ZONE 'UTC') < 6 THEN
                steps := steps - 1;
            END IF;
        END LOOP;
        RETURN day;
    END IF;
    m := regexp_match(period, '^([1-9][0-9]{0,2})([dwmy])$');
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    k := m[1]::integer * n;
    RETURN CASE m[2]
        WHEN 'd' THEN first + make_interval(days => k)
        WHEN 'w' THEN first + make_interval(weeks => k)
        WHEN 'm' THEN ((first AT TIME ZONE 'UTC') + make_interval(months => k)) AT TIME ZONE 'UTC'
        ELSE ((first AT TIME ZONE 'UTC') + make_interval(years => k)) AT TIME ZONE 'UTC'
    END;
END
$$
"""
# `list --sort urgency` reads the best open tasks of each of four orders (todo_cli/services/
# tasks/ranking.py): urgency less its due term or age term where those grow linearly with time
# (the slopes below, frozen: 2.0 a year of age; 12.0 x 0.8 over the 21 days around the due
# date). Days as a number: SQLite's julianday(), and on PostgreSQL this immutable function.
DAYS = """
CREATE FUNCTION todo_days(t timestamptz) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(epoch FROM t)::double precision / 86400 $$
"""
AGE_SLOPE = "0.005479452054794521"
DUE_SLOPE = "0.4571428571428572"
OPEN = "deleted_at IS NULL AND completed = {false} AND recur IS NULL"
URGENCY_KEYS = {
    "ix_tasks_urgency": "urgency_base",
    "ix_tasks_urgency_age": f"(urgency_base - {AGE_SLOPE} * {{days}}(created_at))",
    "ix_tasks_urgency_due": f"(urgency_base - {DUE_SLOPE} * {{days}}(due))",
    "ix_tasks_urgency_due_age": (
        f"(urgency_base - {DUE_SLOPE} * {{days}}(due) - {AGE_SLOPE} * {{days}}(created_at))"
    ),
}


def _urgency_indexes(pg: bool) -> list[str]:
    days, false = ("todo_days", "false") if pg else ("julianday", "0")
    return [
        f"CREATE INDEX {name} ON tasks (user_id, {key.format(days=days)})"
        f" WHERE {OPEN.format(false=false)}"
        for name, key in URGENCY_KEYS.items()
    ]


CHECKS = {
    "ck_tasks_uuid_length": "length(uuid) = 36",
    "ck_tasks_project_not_empty": "project IS NULL OR length(project) >= 1",
    "ck_tasks_template_has_no_parent": "recur IS NULL OR parent_id IS NULL",
    "ck_tasks_all_day_has_due": "due IS NOT NULL OR NOT due_all_day",
}
UNIQUES = {
    "uq_tasks_user_id_uuid": ["user_id", "uuid"],
    "uq_tasks_parent_id_recur_index": ["parent_id", "recur_index"],
}
PARENT_FK = "fk_tasks_parent_id_tasks"


LISTED = ["user_id", "completed", "recur", "wait", "until"]


def upgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    for column in _new_columns():
        op.add_column("tasks", column)
    op.execute(
        "UPDATE tasks SET uuid = gen_random_uuid()::text"
        if pg
        else f"UPDATE tasks SET uuid = {SQLITE_UUID}"
    )
    op.execute(_urgency_sql(pg))
    _days_from_old_dates(pg)
    if pg:
        op.alter_column("tasks", "uuid", nullable=False)
        for name, condition in CHECKS.items():
            op.create_check_constraint(name, "tasks", condition)
        for name, columns in UNIQUES.items():
            op.create_unique_constraint(name, "tasks", columns)
        op.create_foreign_key(
            PARENT_FK, "tasks", "tasks", ["parent_id"], ["id"], ondelete="SET NULL"
        )
    else:
        with (
            ddl.counter_kept("tasks"),
            op.batch_alter_table(
                "tasks",
                recreate="always",
                copy_from=_sqlite_tasks(sa.MetaData()),
                table_kwargs={"sqlite_autoincrement": True},
            ) as batch,
        ):
            batch.alter_column("uuid", existing_type=sa.String(36), nullable=False)
            for name, condition in CHECKS.items():
                batch.create_check_constraint(name, condition)
            for name, columns in UNIQUES.items():
                batch.create_unique_constraint(name, columns)
            batch.create_foreign_key(PARENT_FK, "tasks", ["parent_id"], ["id"], ondelete="SET NULL")
    op.create_index(
        "ix_tasks_user_live_project",
        "tasks",
        ["user_id", "project"],
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    # The count of `list` ("page 1 of 3,451 · 69,001 tasks"): which live tasks are listed now
    # depends on recur, wait and until too; with them in the index the count reads no rows.
    op.create_index(
        "ix_tasks_user_listed",
        "tasks",
        LISTED,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    _create_tables()
    if pg:
        op.execute(NEXT_DUE)
        op.execute(DAYS)
    for sql in _urgency_indexes(pg):
        op.execute(sql)


def _create_tables() -> None:
    user_fk = {"ondelete": "CASCADE"}
    autoincrement = {"sqlite_autoincrement": True}
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("entry", WHEN, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_annotations"),
        sa.CheckConstraint(
            "length(description) BETWEEN 1 AND 10000", name="ck_annotations_description_length"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_annotations_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_annotations_user_id_users", **user_fk
        ),
        **autoincrement,
    )
    op.create_index("ix_annotations_task_entry", "annotations", ["task_id", "entry", "id"])
    op.create_table(
        "task_dependencies",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("depends_on", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "depends_on", name="pk_task_dependencies"),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name="fk_task_dependencies_task_id_tasks",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_task_dependencies_user_id_users", **user_fk
        ),
    )
    op.create_index(
        "ix_task_dependencies_user_depends_on", "task_dependencies", ["user_id", "depends_on"]
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("change", sa.String(64), nullable=False),
        sa.Column("command", sa.String(200), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("task_uuid", sa.String(36), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("before", JSON),
        sa.Column("after", JSON),
        sa.Column("undone_at", WHEN),
        sa.PrimaryKeyConstraint("id", name="pk_journal"),
        sa.CheckConstraint("action IN ('add', 'modify', 'delete')", name="ck_journal_action_valid"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_journal_user_id_users", **user_fk
        ),
        **autoincrement,
    )
    op.create_index("ix_journal_user_id", "journal", ["user_id", "id"])
    op.create_index("ix_journal_user_change", "journal", ["user_id", "change"])
    op.create_index("ix_journal_user_task", "journal", ["user_id", "task_uuid", "id"])


def _tasks_due() -> sa.TableClause:
    return sa.table(
        "tasks",
        sa.column("id", sa.Integer()),
        sa.column("due", WHEN),
        sa.column("due_all_day", sa.Boolean()),
    )


def _old_day(due: datetime) -> date | None:
    """The day a due time meant if it is how the code before this revision stored a bare date
    (23:59:59 local time), else None."""
    due = due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)
    if (due.second, due.microsecond, due.minute % 15) != (59, 0, 14):
        return None
    here = due.astimezone()
    if here.time() == END_OF_DAY:
        return here.date()
    offset = here.utcoffset() or timedelta()
    zones = [timedelta(minutes=15 * q) for q in range(-48, 57)]  # UTC-12:00 to UTC+14:00
    days = [(abs(z - offset), (due + z).date()) for z in zones if (due + z).time() == END_OF_DAY]
    return min(days)[1] if days else None


def _days_from_old_dates(pg: bool) -> None:
    if op.get_context().as_sql:  # --sql prints the schema change; the rows need a database
        return
    seconds = (
        "extract(second FROM due) = 59 AND extract(minute FROM due)::integer % 15 = 14"
        if pg
        else "strftime('%S', due) = '59' AND CAST(strftime('%M', due) AS INTEGER) % 15 = 14"
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, due FROM tasks WHERE due IS NOT NULL AND {seconds}"))
    days = [(i, _old_day(due if isinstance(due, datetime) else _parse(due))) for i, due in rows]
    values = [
        {"i": i, "due": _stored(datetime.combine(d, END_OF_DAY, UTC), pg)}
        for i, d in days
        if d is not None
    ]
    if values:
        t = _tasks_due()
        statement = t.update().where(t.c.id == sa.bindparam("i")).values(due=sa.bindparam("due"))
        bind.execute(statement.values(due_all_day=True), values)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _stored(value: datetime, pg: bool) -> datetime:
    return value if pg else value.astimezone(UTC).replace(tzinfo=None)


def _moments_from_days(pg: bool) -> None:
    if op.get_context().as_sql:
        return
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, due FROM tasks WHERE due_all_day"))
    values = []
    for i, due in rows:
        day = (due if isinstance(due, datetime) else _parse(due)).date()
        values.append({"i": i, "due": _stored(datetime.combine(day, END_OF_DAY).astimezone(), pg)})
    if values:
        t = _tasks_due()
        bind.execute(
            t.update().where(t.c.id == sa.bindparam("i")).values(due=sa.bindparam("due")), values
        )


def downgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    _moments_from_days(pg)
    for name in URGENCY_KEYS:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if pg:
        op.execute("DROP FUNCTION IF EXISTS todo_days(timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS todo_next_due(timestamptz, text, integer)")
    for table in ("journal", "task_dependencies", "annotations"):
        op.drop_table(table)
    for index in ("ix_tasks_user_live_project", "ix_tasks_user_listed"):
        op.drop_index(index, table_name="tasks", sqlite_where=LIVE, postgresql_where=LIVE)
    if pg:
        for column in NEW_COLUMNS:  # their constraints go with them
            op.drop_column("tasks", column)
        return
    # SQLite: rebuild without the new columns (and so without their constraints).
    with (
        ddl.counter_kept("tasks"),
        op.batch_alter_table(
            "tasks",
            recreate="always",
            copy_from=_sqlite_tasks(sa.MetaData()),
            table_kwargs={"sqlite_autoincrement": True},
        ) as batch,
    ):
        for column in NEW_COLUMNS:
            batch.drop_column(column)
