"""bench/twdata.py writes what real Taskwarrior writes, and `task import` takes all of it.

The benchmark's 100,000-task export is made by this generator; here a small one goes through the
real binary (import at the file's "now", export) and must come back field for field.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

from tests.taskwarrior import Taskwarrior, differences, load_export

BENCH = Path(__file__).resolve().parents[1] / "bench" / "twdata.py"


def twdata() -> ModuleType:
    spec = importlib.util.spec_from_file_location("twdata", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["twdata"] = module
    spec.loader.exec_module(module)
    return module


def test_the_generated_export_survives_task_import_field_for_field(tmp_path: Path) -> None:
    gen = twdata()
    path = tmp_path / "export.json"
    records = gen.write_export(path, 3000, templates=30)
    assert load_export(path) == json.loads(json.dumps(records))  # the file is the records
    text = path.read_text(encoding="utf-8")
    assert text.startswith('[\n{"id":1,"description":') and text.endswith("}\n]\n")
    assert "\\/" in text and "\\u" not in text  # Taskwarrior's escapes, raw UTF-8
    tw = Taskwarrior(tmp_path / "tw", now=gen.NOW, recurrence=True)
    tw.import_json(text)
    assert differences(records, tw.export()) == []  # nothing generated, expired or lost


def test_the_generated_export_has_the_benchmarks_mix() -> None:
    records = twdata().make_records(20_000)
    assert len(records) == 20_000 and len({r["uuid"] for r in records}) == 20_000
    status = Counter(r["status"] for r in records)
    assert status["recurring"] == 200 and status["deleted"] > 0 and status["completed"] > 0
    templates = {r["uuid"]: r for r in records if r["status"] == "recurring"}
    kids = Counter(r["parent"] for r in records if "parent" in r)
    assert set(kids) == set(templates)
    assert all(len(templates[t]["mask"]) == k for t, k in kids.items())
    assert all("project" in r for r in records)

    def share(field: str) -> float:
        return sum(field in r for r in records if "parent" not in r) / len(records)

    assert 0.09 < share("annotations") < 0.11 and 0.04 < share("depends") < 0.06
    for field in ("tags", "estimate", "points", "url", "reviewed", "spent", "wait", "until"):
        assert share(field) > 0, field
    assert [r["id"] for r in records if r["id"]] == list(range(1, status["pending"] + 201))
