"""llm's logs.db, any schema: the legacy tables, the message store, or both after an upgrade.

Up to 0.31 llm logs to `conversations` and `responses` (with `prompt_fragments`,
`system_fragments`, `prompt_attachments`, `tool_calls`, `tool_results` beside them). From 0.32 it
logs only to the content-addressed store: `threads` (a thread's id is the conversation id),
`turns` (one per model call; a turn's id is what the response id was), and the `messages` tree
with their `parts`. A database upgraded from an older llm keeps its old rows in `responses`, and a
conversation continued after the upgrade has its whole history again in the new tree, but only
its new calls in `turns`. So, as llm's own `llm logs` does, a conversation here is its responses
that have no turn, plus its turns, each turn cut from the tree the way llm cuts it (the trailing
user/tool messages before the turn are its input, what follows is its output).
"""

from __future__ import annotations

import heapq
import itertools
import json
import sqlite3
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

from todo_cli.errors import BadInput

from . import llm_rows
from .llm_rows import Row
from .records import ImportedConversation


class LogsDb:
    """An open logs.db, read only."""

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        try:
            # Read by the import's helper thread on PostgreSQL (services/prefetch.py), by
            # one thread at a time.
            uri = f"{path.resolve().as_uri()}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.tables = {
                r[0] for r in self.db.execute("select name from sqlite_master where type='table'")
            }
        except sqlite3.DatabaseError as e:
            raise BadInput(f"{name}: a damaged SQLite database ({e})") from None
        if not {"responses", "turns"} & self.tables:
            raise BadInput(
                f"{name}: a SQLite database, but not an llm logs.db (no responses table)"
            )
        self._fragments: dict[int, str] = {}

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        """How many conversations, for a progress bar."""
        parts = [f"select id from {t}" for t in ("conversations", "threads") if t in self.tables]
        return int(self.db.execute(f"select count(*) from ({' union '.join(parts)})").fetchone()[0])

    def conversations(self) -> Iterator[ImportedConversation]:
        titles = self._titles()
        # Both queries come ordered by conversation id, so merging them keeps that order and
        # a conversation's rows arrive together: one conversation in memory at a time.
        key = itemgetter("conversation_id")
        rows = heapq.merge(self._legacy_rows(), self._turn_rows(), key=key)
        for index, (conv_id, group) in enumerate(itertools.groupby(rows, key=key), 1):
            yield llm_rows.conversation(conv_id, list(group), index, titles.get(conv_id))

    # -- legacy tables ---------------------------------------------------------------------

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self.db.execute(f"pragma table_info({table})")}

    def _titles(self) -> dict[str, str]:
        titles: dict[str, str] = {}
        for table in ("threads", "conversations"):  # the legacy name wins: it is the original
            if table in self.tables:
                for r in self.db.execute(f"select id, name from {table} where name is not null"):
                    titles[str(r[0])] = r[1]
        return titles

    def _legacy_rows(self) -> Iterator[Row]:
        if "responses" not in self.tables:
            return
        cols = self._columns("responses")
        pick = ", ".join(
            c if c in cols else f"null as {c}"
            for c in ("id", "model", "resolved_model", "prompt", "system", "response", "reasoning")
        )
        skip = "where id not in (select id from turns)" if "turns" in self.tables else ""
        links = {
            "prompt_fragments": self._fragment_links("prompt_fragments"),
            "system_fragments": self._fragment_links("system_fragments"),
            "attachments": self._links(
                "prompt_attachments",
                "select pa.response_id, a.type, a.path, a.url from prompt_attachments pa"
                ' join attachments a on a.id = pa.attachment_id order by pa."order"',
            ),
            "tool_calls": self._links(
                "tool_calls", "select response_id, name, arguments from tool_calls order by id"
            ),
            "tool_results": self._links(
                "tool_results",
                "select response_id, name, output, "
                + ("exception" if "exception" in self._columns("tool_results") else "null")
                + " as exception from tool_results order by id",
            ),
        }
        for call in links["tool_calls"].values():
            for c in call:
                c["arguments"] = _json(c["arguments"])
        query = (
            f"select {pick}, coalesce(conversation_id, 'response:' || id) as conversation_id,"
            f" datetime_utc from responses {skip} order by 8, id"
        )
        for r in self.db.execute(query):
            row = dict(r)
            for key, table in links.items():
                row[key] = table.get(row["id"], [])
            yield row

    def _links(self, table: str, sql: str) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        if table in self.tables:
            for r in self.db.execute(sql):
                item = dict(r)
                out.setdefault(item.pop("response_id"), []).append(item)
        return out

    def _fragment_links(self, table: str) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        if table in self.tables:
            for r in self.db.execute(
                f'select response_id, fragment_id from {table} order by "order"'
            ):
                out.setdefault(r[0], []).append({"content": self._fragment(r[1])})
        return out

    def _fragment(self, fragment_id: int) -> str:
        if fragment_id not in self._fragments:
            found = self.db.execute("select content from fragments where id = ?", [fragment_id])
            row = found.fetchone()
            self._fragments[fragment_id] = row[0] if row and row[0] is not None else ""
        return self._fragments[fragment_id]

    # -- the message store -------------------------------------------------------------------

    def _turn_rows(self) -> Iterator[Row]:
        if "turns" not in self.tables:
            return
        query = (
            "select id, thread_id, parent_message_hash, tip_message_hash, model, resolved_model,"
            " datetime_utc from turns order by thread_id, id"
        )
        tree = Tree(self)
        for _thread, turns in itertools.groupby(self.db.execute(query), key=lambda r: r[1]):
            for turn in turns:
                yield tree.turn_row(dict(turn))
            tree.forget()  # threads share prefixes only through forks: keep memory per thread

    def attachment(self, attachment_id: str) -> Row:
        if "attachments" not in self.tables:
            return {}
        found = self.db.execute(
            "select type, path, url from attachments where id = ?", [attachment_id]
        ).fetchone()
        return dict(found) if found else {}


class Tree:
    """Messages of the store, read once each while one thread is being rebuilt."""

    def __init__(self, logs: LogsDb) -> None:
        self.logs = logs
        self._messages: dict[str, tuple[str | None, str, list[Row]]] = {}

    def forget(self) -> None:
        self._messages.clear()

    def _message(self, hash_: str) -> tuple[str | None, str, list[Row]]:
        if hash_ not in self._messages:
            db = self.logs.db
            found = db.execute(
                "select parent_hash, role from messages where hash = ?", [hash_]
            ).fetchone()
            if found is None:
                raise BadInput(f"{self.logs.name}: message {hash_} is missing from the store")
            parts = []
            for p in db.execute(
                "select type, tool_name, text, payload from parts where message_hash = ?"
                " order by position",
                [hash_],
            ):
                part = _json(p["payload"]) or {}
                part = part if isinstance(part, dict) else {}
                part["type"] = p["type"]
                if p["text"] is not None:
                    part["text"] = p["text"]
                elif "text_ref" in part:
                    part["text"] = "".join(
                        piece.get("literal") or self.logs._fragment(piece.get("fragment", -1))
                        for piece in part.pop("text_ref")
                    )
                parts.append(part)
            self._messages[hash_] = (found[0], found[1], parts)
        return self._messages[hash_]

    def chain(self, tip: str | None) -> list[tuple[str, list[Row]]]:
        """(role, parts) from the root down to `tip`."""
        out = []
        seen: set[str] = set()
        while tip is not None:
            if tip in seen:
                raise BadInput(f"{self.logs.name}: the message tree has a loop at {tip}")
            seen.add(tip)
            parent, role, parts = self._message(tip)
            out.append((role, parts))
            tip = parent
        out.reverse()
        return out

    def turn_row(self, turn: Row) -> Row:
        """A turn as `llm logs --json` shows it (llm's logs._LogRowBuilder.build, in short)."""
        inputs = self.chain(turn["parent_message_hash"])
        outputs = self.chain(turn["tip_message_hash"])[len(inputs) :]
        boundary = len(inputs)
        while boundary and inputs[boundary - 1][0] in ("user", "tool"):
            boundary -= 1
        own = inputs[boundary:]
        in_parts = [p for _, parts in own for p in parts]
        out_parts = [p for _, parts in outputs for p in parts]
        system = inputs[0][1] if inputs and inputs[0][0] == "system" else []

        def text(parts: list[Row], kind: str) -> str:
            return "".join(p.get("text") or "" for p in parts if p["type"] == kind)

        return {
            "id": turn["id"],
            "conversation_id": turn["thread_id"],
            "model": turn["model"],
            "resolved_model": turn["resolved_model"],
            "datetime_utc": turn["datetime_utc"],
            "prompt": "".join(
                p.get("text") or ""
                for role, parts in own
                if role == "user"
                for p in parts
                if p["type"] == "text"
            ),
            "system": text(system, "text") or None,
            "response": text(out_parts, "text"),
            "reasoning": text(out_parts, "reasoning") or None,
            "tool_calls": [p for p in out_parts if p["type"] == "tool_call"],
            "tool_results": [p for p in in_parts if p["type"] == "tool_result"],
            "attachments": [
                self.logs.attachment(str((p.get("attachment") or {}).get("id")))
                for p in in_parts
                if p["type"] == "attachment"
            ],
            "_resolved": True,
        }


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
