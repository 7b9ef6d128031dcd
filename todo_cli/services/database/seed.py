"""`todo db seed`: demo data that can be re-run, and scaled up for benchmarks.

Every seeded row has a deterministic request key (`seed:...`), and every insert is
`ON CONFLICT DO NOTHING`, so a second run adds nothing. Rows go in batches, all in one
transaction: an interrupted seed leaves the database as it was.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlmodel import Session, col

from todo_cli.models import Conversation, Message, Task, User
from todo_cli.services.tasks.urgency import refresh_sql
from todo_cli.services.work import Work, unit_of_work
from todo_cli.when import utcnow

BATCH = 5000
WORDS = (
    *("review", "plan", "call", "email", "write", "fix", "ship", "buy", "book", "clean"),
    *("draft", "test", "deploy", "read", "pay", "renew", "update", "backup", "order"),
    *("schedule", "prepare", "invoice", "report", "garden", "groceries", "taxes", "dentist"),
)
TAGS = ("home", "work", "errands", "health", "money", "someday", "urgent")
LINES = (
    "Can you summarise the main points?",
    "Here is a short summary with the key steps.",
    "What would you pack for a week in Lisbon?",
    "Passport, light layers, comfortable shoes and sunscreen.",
    "How do I rotate a Neon database password?",
    "Reset it in the console, then update DATABASE_URL everywhere it is used.",
)


@dataclass(frozen=True)
class SeedPlan:
    users: int = 3
    tasks: int = 20  # per user
    conversations: int = 3  # per user
    messages: int = 6  # per conversation

    @property
    def total_rows(self) -> int:
        per_user = self.tasks + self.conversations * (1 + self.messages)
        return self.users * (1 + per_user)


@dataclass(frozen=True)
class SeedResult:
    users: int
    tasks: int
    conversations: int
    messages: int


def _insert(s: Session, model: Any, rows: list[dict[str, Any]], have: set[str], key: str) -> None:
    """Insert the rows whose key is not there yet.

    A plain multi-row INSERT (SQLAlchemy's insertmanyvalues) is many times faster than
    `ON CONFLICT DO NOTHING`, which psycopg2 runs row by row; the seed's own transaction
    makes the check-then-insert safe.
    """
    new = [r for r in rows if r[key] not in have]
    if new:
        s.connection().execute(insert(model.__table__), new)


def _existing(s: Session, column: Any, prefix: str) -> set[str]:
    return {str(v) for v in s.scalars(select(column).where(column.startswith(prefix)))}


def _seed_counts(s: Session) -> list[int]:
    """How many seeded rows each table holds (seeded rows are known by their keys)."""
    queries = [
        select(func.count()).where(col(User.email).like("seed-%@example.com")),
        select(func.count()).where(col(Task.request_key).like("seed:%")),
        select(func.count()).where(col(Conversation.request_key).like("seed:%")),
        select(func.count()).where(col(Message.request_key).like("seed:%")),
    ]
    return [int(s.scalar(q) or 0) for q in queries]


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@unit_of_work(write=True, check="todo user list")
def seed(w: Work, plan: SeedPlan, advance: Callable[[int], None]) -> SeedResult:
    now = utcnow()
    rng = random.Random(20261125)
    s = w.session
    before = _seed_counts(s)
    uids = [f"seed-{u:04d}" for u in range(1, plan.users + 1)]
    users = [
        {"id": uid, "email": f"{uid}@example.com", "name": uid, "created_at": now} for uid in uids
    ]
    have_users = _existing(s, col(User.email), "seed-")
    _insert(s, User, users, have_users, "email")
    advance(len(users))
    for uid in uids:
        have = _existing(s, col(Task.request_key), f"seed:t:{uid}:")
        for batch in _batches(_task_rows(rng, uid, plan.tasks, now)):
            _insert(s, Task, batch, have, "request_key")
            advance(len(batch))
        convs = list(_conversation_rows(uid, plan.conversations, now))
        have = _existing(s, col(Conversation.request_key), f"seed:c:{uid}:")
        _insert(s, Conversation, convs, have, "request_key")
        advance(len(convs))
        rows = s.execute(
            select(col(Conversation.request_key), col(Conversation.id)).where(
                col(Conversation.user_id) == uid,
                col(Conversation.request_key).startswith(f"seed:c:{uid}:"),
            )
        ).all()
        ids = {str(k): int(v) for k, v in rows}
        have = _existing(s, col(Message.request_key), f"seed:m:{uid}:")
        for batch in _batches(_message_rows(uid, ids, plan.messages, now)):
            _insert(s, Message, batch, have, "request_key")
            advance(len(batch))
        _recount(s, uid)
        s.execute(text(refresh_sql(w.dialect, "user_id = :uid AND urgency_base = 0")), {"uid": uid})
    after = _seed_counts(s)
    return SeedResult(*(a - b for a, b in zip(after, before, strict=True)))


def _task_rows(rng: random.Random, uid: str, n: int, now: Any) -> Iterator[dict[str, Any]]:
    for i in range(n):
        created = now - timedelta(minutes=(n - i) * 7)
        done = rng.random() < 0.3
        yield {
            "user_id": uid,
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} #{i + 1}",
            "description": None if rng.random() < 0.6 else f"notes for task {i + 1}",
            "completed": done,
            "priority": rng.choice((None, 1, 2, 3)),
            "due": None if rng.random() < 0.5 else now + timedelta(days=rng.randint(-10, 30)),
            "tags": rng.sample(TAGS, rng.randint(0, 2)),
            "created_at": created,
            "updated_at": created,
            "completed_at": created if done else None,
            "deleted_at": None,
            "request_key": f"seed:t:{uid}:{i}",
        }


def _conversation_rows(uid: str, n: int, now: Any) -> Iterator[dict[str, Any]]:
    for j in range(n):
        yield {
            "user_id": uid,
            "title": f"Seed conversation {j + 1}",
            "message_count": 0,
            "created_at": now - timedelta(days=n - j),
            "updated_at": now - timedelta(days=n - j),
            "request_key": f"seed:c:{uid}:{j}",
        }


def _message_rows(uid: str, convs: dict[str, int], n: int, now: Any) -> Iterator[dict[str, Any]]:
    for key, conv_id in sorted(convs.items()):
        j = key.rsplit(":", 1)[1]
        for k in range(n):
            yield {
                "conversation_id": conv_id,
                "user_id": uid,
                "role": "user" if k % 2 == 0 else "assistant",
                "content": f"{LINES[k % len(LINES)]} ({k + 1})",
                "created_at": now - timedelta(seconds=(n - k)),
                "request_key": f"seed:m:{uid}:{j}:{k}",
            }


def _recount(s: Session, uid: str) -> None:
    """Make each seeded conversation's count and last activity match its messages."""
    msgs = select(func.count()).where(col(Message.conversation_id) == col(Conversation.id))
    last = select(func.max(col(Message.created_at))).where(
        col(Message.conversation_id) == col(Conversation.id)
    )
    s.execute(
        update(Conversation)
        .where(
            col(Conversation.user_id) == uid,
            col(Conversation.request_key).startswith(f"seed:c:{uid}:"),
        )
        .values(
            message_count=msgs.scalar_subquery(),
            updated_at=func.coalesce(last.scalar_subquery(), col(Conversation.updated_at)),
        )
        .execution_options(synchronize_session=False)
    )
