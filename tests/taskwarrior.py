"""A small typed harness around the real Taskwarrior binary (`task`, Debian's 2.6.2).

Not a test module: tests import it (`from tests.taskwarrior import Taskwarrior, same_tasks`). Each
`Taskwarrior` owns a data dir and an rc file under a directory you give it, so it never sees
the user's `~/.taskrc` or `~/.task`. What Taskwarrior's export looks like, and every behaviour
this module relies on, is written up in `tests/fixtures/taskwarrior/FORMAT.md`.

"Now" can be frozen per command with libfaketime (Debian's `faketime` package): Taskwarrior 2.6
has no rc option or environment variable for the current time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

UdaType = Literal["string", "numeric", "date", "duration"]

# The UDAs every harness declares unless told otherwise: one of each Taskwarrior type, and
# the names the task-model issue mentions. `uda.NAME.values` is not set, so any value goes.
DEFAULT_UDAS: Mapping[str, UdaType] = {
    "estimate": "numeric",
    "points": "numeric",
    "url": "string",
    "reviewed": "date",
    "spent": "duration",
}

# Fields that legitimately differ after Taskwarrior -> another tool -> Taskwarrior: `id` is a
# working-set number Taskwarrior reassigns, `urgency` is computed at export time (from "now").
# `modified` is not among them: imported into a fresh data dir, Taskwarrior keeps it as given
# (it only replaces it when the uuid is already there; FORMAT.md, surprise 3).
VOLATILE_FIELDS: frozenset[str] = frozenset({"id", "urgency"})

# A \uD800-\uDBFF escape (the first half of a pair) not itself preceded by an escaping backslash.
SURROGATE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}")

FAKETIME_LIBS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)


FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "taskwarrior"
# The frozen clock of the committed fixture: make_fixture.py's last command (the export) ran at
# this instant, so a test that replays the fixture at FIXTURE_NOW sees what Taskwarrior saw
# (no new recurring instances, no `until` expiring, the same waiting tasks).
FIXTURE_NOW = datetime(2026, 11, 25, 10, 30, 0, tzinfo=UTC)


class TaskwarriorMissing(RuntimeError):
    """`task` (or libfaketime, when a frozen "now" was asked for) is not installed."""


class TaskwarriorError(RuntimeError):
    """A `task` command exited non-zero; the message carries its arguments and output."""


def task_binary() -> str:
    """The path of `task`, or a TaskwarriorMissing that says how to install it."""
    path = shutil.which("task")
    if path is None:
        raise TaskwarriorMissing(
            "the Taskwarrior binary `task` is not on PATH: install it with "
            "`apt-get install taskwarrior` (Debian's 2.6.2 is what these tests expect)"
        )
    return path


def faketime_lib() -> str:
    """The path of libfaketime, or a TaskwarriorMissing that says how to install it."""
    for lib in FAKETIME_LIBS:
        if Path(lib).exists():
            return lib
    raise TaskwarriorMissing(
        "a frozen 'now' needs libfaketime: install it with `apt-get install faketime`"
    )


def tw_date(when: datetime) -> str:
    """A datetime as Taskwarrior writes dates in JSON: `20261125T103000Z` (UTC)."""
    if when.tzinfo is None:
        raise ValueError("tw_date needs an aware datetime")
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_tw_date(text: str) -> datetime:
    """`20261125T103000Z` as an aware UTC datetime."""
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def dumps_raw(records: Any) -> str:
    """JSON with non-ASCII characters written as raw UTF-8, one record per line.

    `ensure_ascii=False` is the point: Taskwarrior 2.6's JSON parser turns a `\\uD83D\\uDE00`
    surrogate pair into two broken 3-byte sequences instead of one emoji (FORMAT.md).
    """
    if isinstance(records, list):
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
        return "[\n" + ",\n".join(lines) + "\n]\n"
    return json.dumps(records, ensure_ascii=False, separators=(",", ":")) + "\n"


@dataclass
class Taskwarrior:
    """One isolated Taskwarrior: `root/taskrc` and `root/data`, created on construction.

    `now` (an aware datetime) freezes the clock for every command through libfaketime;
    `run(..., now=...)` overrides it for one command. `recurrence=False` writes
    `recurrence=off`, so no command generates recurring instances (see FORMAT.md: any report,
    `export` included, otherwise generates the instances that are due). Either way, every
    command deletes the pending tasks whose `until` has passed.
    """

    root: Path
    udas: Mapping[str, UdaType] = field(default_factory=lambda: dict(DEFAULT_UDAS))
    now: datetime | None = None
    recurrence: bool = True
    extra_rc: Mapping[str, str] = field(default_factory=dict)
    tz: str = "UTC"
    binary: str = field(init=False)

    def __post_init__(self) -> None:
        self.binary = task_binary()
        self.root = Path(self.root)
        self.data.mkdir(parents=True, exist_ok=True)
        self.rc.write_text(self.rc_text(), encoding="utf-8")

    @property
    def data(self) -> Path:
        """TASKDATA: pending.data, completed.data, undo.data, backlog.data."""
        return self.root / "data"

    @property
    def rc(self) -> Path:
        """TASKRC, written from rc_text()."""
        return self.root / "taskrc"

    def rc_text(self) -> str:
        """The rc file: isolated, quiet, parseable, recurrence explicit, the UDAs declared."""
        lines = [
            "# Written by tests/taskwarrior.py: an isolated, scriptable Taskwarrior.",
            "# No data.location: the TASKDATA environment variable names the data dir.",
            "confirmation=off",  # no y/n prompts (bulk changes, deletes, recurrence)
            "verbose=nothing",  # no headers, footnotes or 'Created task N.'
            "json.array=on",  # export writes one JSON array, not one object per line
            "news.version=2.6.0",  # no 'run task news' nag on every command
            "hooks=off",
            "color=off",
            f"recurrence={'on' if self.recurrence else 'off'}",
            "recurrence.limit=1",  # the default, written down: 1 future pending instance
            "recurrence.confirmation=no",
            "gc=on",  # the default: completed/deleted tasks move to completed.data
        ]
        for name, kind in sorted(self.udas.items()):
            lines += [f"uda.{name}.type={kind}", f"uda.{name}.label={name.capitalize()}"]
        lines += [f"{k}={v}" for k, v in sorted(self.extra_rc.items())]
        return "\n".join(lines) + "\n"

    def env(self, now: datetime | None = None) -> dict[str, str]:
        """The environment a command runs in: this rc and data, TZ, a frozen clock if asked."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK", "FAKETIME"))}
        env.update(TASKRC=str(self.rc), TASKDATA=str(self.data), TZ=self.tz)
        env.pop("LD_PRELOAD", None)
        when = now or self.now
        if when is not None:
            # An absolute FAKETIME freezes the clock. Given as epoch seconds (FAKETIME_FMT),
            # because a "%Y-%m-%d %H:%M:%S" FAKETIME is read in the process's local TZ.
            if when.tzinfo is None:
                raise ValueError("now must be an aware datetime")
            env.update(
                LD_PRELOAD=faketime_lib(),
                FAKETIME_FMT="%s",
                FAKETIME=str(int(when.timestamp())),
                FAKETIME_DONT_FAKE_MONOTONIC="1",
            )
        return env

    def run(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        now: datetime | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `task ARGS...`; raise TaskwarriorError on a non-zero exit unless check=False."""
        proc = subprocess.run(
            [self.binary, *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            # Invalid UTF-8 (what a \\u surrogate escape becomes) must not crash the harness;
            # surrogateescape keeps the bytes, and export() refuses them with a clear message.
            errors="surrogateescape",
            env=self.env(now),
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise TaskwarriorError(
                f"task {' '.join(args)!r} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def add(self, description: str, *mods: str, now: datetime | None = None, **attrs: str) -> str:
        """`task add` with modifications (`+tag`, `project:X`, or attrs=...); returns the uuid.

        The description goes after `--`, so nothing in it is parsed as a modification.
        """
        words = [*mods, *(f"{k}:{v}" for k, v in attrs.items())]
        out = self.run("rc.verbose=new-uuid", "add", *words, "--", description, now=now)
        # "Created task UUID." or, for a recurring task, "Created task UUID (recurrence template)."
        for line in out.stdout.splitlines():
            if line.startswith("Created task "):
                return line.removeprefix("Created task ").split()[0].removesuffix(".")
        raise TaskwarriorError(f"task add printed no uuid: {out.stdout!r} {out.stderr!r}")

    def do(self, uuid: str, *args: str, now: datetime | None = None) -> None:
        """`task UUID ARGS...` (modify, done, delete, start, annotate, ...)."""
        self.run(uuid, *args, now=now)

    def export(self, *filter: str, now: datetime | None = None) -> list[dict[str, Any]]:
        """`task FILTER export`, parsed from its raw UTF-8 output (all statuses by default)."""
        out = self.run(*filter, "export", now=now).stdout
        try:
            out.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise TaskwarriorError(
                f"task export wrote invalid UTF-8 at {exc.start}: "
                "was a \\u surrogate pair imported?"
            ) from exc
        records = json.loads(out, strict=False) if out.strip() else []
        if not isinstance(records, list):
            raise TaskwarriorError(f"task export did not print an array: {out[:200]!r}")
        return records

    def get(self, uuid: str, now: datetime | None = None) -> dict[str, Any]:
        """The one exported record of a uuid (an error if there is none or more)."""
        records = self.export(uuid, now=now)
        if len(records) != 1:
            raise TaskwarriorError(f"{len(records)} records for {uuid}")
        return records[0]

    def import_json(
        self, records: Sequence[Mapping[str, Any]] | str, now: datetime | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`task import FILE` of records (or of a JSON text), written as raw UTF-8.

        Text holding a `\\uD800`-`\\uDBFF` escape is refused: task import would mangle it.
        """
        text = records if isinstance(records, str) else dumps_raw(list(records))
        if SURROGATE_ESCAPE.search(text):
            raise ValueError("surrogate escapes would be mangled by task import: write raw UTF-8")
        path = self.root / "import.json"
        path.write_text(text, encoding="utf-8")
        return self.run("import", str(path), now=now)

    def uuids(self, *filter: str) -> list[str]:
        """The uuids matching a filter, in Taskwarrior's order."""
        return self.run(*filter, "_uuids").stdout.split()


def by_uuid(records: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Records keyed by uuid; a repeated uuid is an error, not a silent overwrite."""
    out: dict[str, Mapping[str, Any]] = {}
    for r in records:
        if r["uuid"] in out:
            raise ValueError(f"uuid {r['uuid']} appears twice")
        out[r["uuid"]] = r
    return out


def normalize(record: Mapping[str, Any], ignore: Iterable[str] = VOLATILE_FIELDS) -> dict[str, Any]:
    """A record without the volatile fields, with the order-free lists in a canonical order.

    `tags` is a set (Taskwarrior sorts it on export anyway) and `depends` is a set of uuids;
    `annotations` keep their order, which is by entry time.
    """
    skip = set(ignore)
    out = {k: v for k, v in record.items() if k not in skip}
    for key in ("tags", "depends"):
        if isinstance(out.get(key), list):
            out[key] = sorted(out[key])
    return out


def differences(
    before: Iterable[Mapping[str, Any]],
    after: Iterable[Mapping[str, Any]],
    ignore: Iterable[str] = VOLATILE_FIELDS,
) -> list[str]:
    """Every way two exports differ, task by task and field by field (empty when the same).

    Tasks are matched by uuid. Every field except those in `ignore` must be present on both
    sides with an equal value: a missing field, an extra field and a changed value are each
    reported as `uuid field: before != after`.
    """
    skip = frozenset(ignore)
    a, b = by_uuid(before), by_uuid(after)
    diffs = [f"{u}: missing after the round trip" for u in sorted(a.keys() - b.keys())]
    diffs += [f"{u}: not in the original export" for u in sorted(b.keys() - a.keys())]
    missing = object()
    for u in sorted(a.keys() & b.keys()):
        x, y = normalize(a[u], skip), normalize(b[u], skip)
        for key in sorted(x.keys() | y.keys()):
            vx, vy = x.get(key, missing), y.get(key, missing)
            if vx != vy:
                show = [("(absent)" if v is missing else repr(v)) for v in (vx, vy)]
                diffs.append(f"{u} {key}: {show[0]} != {show[1]}")
    return diffs


def same_tasks(
    before: Iterable[Mapping[str, Any]],
    after: Iterable[Mapping[str, Any]],
    ignore: Iterable[str] = VOLATILE_FIELDS,
) -> None:
    """Assert that two exports hold the same tasks field for field (see differences())."""
    diffs = differences(before, after, ignore)
    if diffs:
        shown = "\n  ".join(diffs[:40])
        more = f"\n  ... and {len(diffs) - 40} more" if len(diffs) > 40 else ""
        raise AssertionError(f"{len(diffs)} differences after the round trip:\n  {shown}{more}")


def load_export(path: Path) -> list[dict[str, Any]]:
    """A `task export` file, parsed as Taskwarrior writes it (raw UTF-8, raw control chars)."""
    records = json.loads(path.read_text(encoding="utf-8"), strict=False)
    if not isinstance(records, list):
        raise ValueError(f"{path} does not hold a JSON array")
    return records


def load_fixture() -> list[dict[str, Any]]:
    """The committed export that make_fixture.py made with the real binary at FIXTURE_NOW."""
    return load_export(FIXTURE_DIR / "export.json")
