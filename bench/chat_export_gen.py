"""Build a synthetic ChatGPT data export (conversations.json, or the .zip) of a given size.

Shaped like the real thing (see tests/fixtures/chat/FORMATS.md): a tree per conversation with a
null-message root and a hidden system node, shuffled map order, regenerated answers (branches,
`current_node` on the later one), tool turns (code -> execution_output, browsing, quotes),
multimodal parts with image asset pointers, thoughts and reasoning recaps. Written as it is
generated, so a 200 MB file costs no more memory than one conversation.

    .venv/bin/python bench/chat_export_gen.py /tmp/conversations.json            # 200 MB
    .venv/bin/python bench/chat_export_gen.py /tmp/export.zip --mb 50 --seed 3
    .venv/bin/python bench/chat_export_gen.py /tmp/small.json --mb 2.8 --conversations 192

With `--conversations N` the file holds exactly N conversations, each as long as it takes for N
of them to come to about `--mb` (a real 192-conversation export is about 2.8 MB: shorter
conversations than the default's 2-30 turns).
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
import zipfile
from pathlib import Path
from typing import IO, Any

_SENTENCE = (
    "the of and to in is that for it as with was on be by this are or from at which an but not "
    "have has you your we can will more one all about code python data table time plan route "
    "lisbon train museum budget sine value error result function list query answer question"
)
WORDS = _SENTENCE.split()


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi))).capitalize() + "."


def _msg(rng: random.Random, role: str, content: dict[str, Any], t: float, **kw: Any) -> dict:
    name = kw.get("name")
    meta: dict[str, Any] = {"model_slug": "gpt-4o", "default_model_slug": "gpt-4o"}
    if role == "user":
        meta = {}
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": t,
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": role == "assistant" or None,
        "weight": 1.0,
        "metadata": meta,
        "recipient": kw.get("recipient", "all"),
        "channel": None,
    }


def _image(rng: random.Random) -> dict[str, Any]:
    return {
        "content_type": "image_asset_pointer",
        "asset_pointer": f"file-service://file-{rng.getrandbits(64):016x}",
        "size_bytes": rng.randint(20_000, 900_000),
        "width": 1024,
        "height": 768,
        "fovea": None,
        "metadata": {"dalle": None, "gizmo": None, "sanitized": True},
    }


MAX_TURNS = 30
BYTES_PER_TURN = 3_100  # measured: a 50 MB file of 2-30 turns holds 1,015 conversations


def conversation(
    rng: random.Random, t0: float, max_turns: int = MAX_TURNS
) -> tuple[dict[str, Any], int]:
    """One conversation and how many messages are on its current path (what an import keeps)."""
    nodes: dict[str, dict[str, Any]] = {}
    t = t0

    def add(parent: str | None, message: dict[str, Any] | None) -> str:
        node_id = message["id"] if message else str(uuid.UUID(int=rng.getrandbits(128)))
        nodes[node_id] = {"id": node_id, "message": message, "parent": parent, "children": []}
        if parent:
            nodes[parent]["children"].append(node_id)
        return node_id

    root = add(None, None)
    tip = add(root, _msg(rng, "system", {"content_type": "text", "parts": [""]}, t))
    kept = 0
    for _ in range(rng.randint(2, max_turns)):
        t += rng.uniform(5, 300)
        if rng.random() < 0.15:
            parts: list[Any] = [_image(rng), _text(rng, 5, 40)]
            content = {"content_type": "multimodal_text", "parts": parts}
        else:
            content = {"content_type": "text", "parts": [_text(rng, 5, 120)]}
        tip = add(tip, _msg(rng, "user", content, t))
        kept += 1
        if rng.random() < 0.2:  # a tool round: code, its output, a browse and a quote
            code = {"content_type": "code", "language": "python", "text": _text(rng, 5, 30)}
            tip = add(tip, _msg(rng, "assistant", code, t + 1, recipient="python"))
            out = {"content_type": "execution_output", "text": _text(rng, 3, 30)}
            tip = add(tip, _msg(rng, "tool", out, t + 2, name="python"))
            browse = {"content_type": "tether_browsing_display", "result": _text(rng, 10, 60)}
            tip = add(tip, _msg(rng, "tool", browse, t + 3, name="browser"))
            quote = {
                "content_type": "tether_quote",
                "url": "https://example.org/page",
                "domain": "example.org",
                "title": "A page",
                "text": _text(rng, 5, 40),
            }
            tip = add(tip, _msg(rng, "tool", quote, t + 4, name="browser"))
            kept += 4
        if rng.random() < 0.1:
            thoughts = {
                "content_type": "thoughts",
                "thoughts": [
                    {
                        "summary": _text(rng, 2, 6),
                        "content": _text(rng, 10, 60),
                        "chunks": [],
                        "finished": True,
                    }
                ],
            }
            tip = add(tip, _msg(rng, "assistant", thoughts, t + 5))
            recap = {"content_type": "reasoning_recap", "content": "Thought for 7 seconds"}
            tip = add(tip, _msg(rng, "assistant", recap, t + 6))
            kept += 2
        parent = tip
        if rng.random() < 0.1:  # an answer that was regenerated: an abandoned branch
            old = {"content_type": "text", "parts": [_text(rng, 20, 200)]}
            add(parent, _msg(rng, "assistant", old, t + 7))
        answer = {"content_type": "text", "parts": [_text(rng, 20, 250)]}
        tip = add(parent, _msg(rng, "assistant", answer, t + 9))
        kept += 1
    order = list(nodes.values())
    rng.shuffle(order)
    cid = str(uuid.UUID(int=rng.getrandbits(128)))
    conv = {
        "title": _text(rng, 2, 6),
        "create_time": t0,
        "update_time": t,
        "mapping": {n["id"]: n for n in order},
        "moderation_results": [],
        "current_node": tip,
        "plugin_ids": None,
        "conversation_id": cid,
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": cid,
    }
    return conv, kept


def write(
    out: IO[bytes], target_bytes: int, seed: int, conversations: int | None = None
) -> tuple[int, int]:
    """Conversations until the file reaches `target_bytes` (or, given `conversations`, that
    many, sized to come to about `target_bytes`); returns (conversations, messages)."""
    rng = random.Random(seed)
    written = out.write(b"[")
    count = messages = 0
    t = 1_700_000_000.0
    max_turns = MAX_TURNS
    if conversations is not None:  # turns are 2..max, so the mean is (2 + max) / 2
        mean = target_bytes / conversations / BYTES_PER_TURN
        max_turns = max(2, round(2 * mean - 2))
    while (written < target_bytes) if conversations is None else (count < conversations):
        conv, kept = conversation(rng, t, max_turns)
        t += rng.uniform(600, 86_400)
        data = json.dumps(conv, ensure_ascii=False).encode("utf-8")
        written += out.write((b", " if count else b"") + data)
        count += 1
        messages += kept
    out.write(b"]")
    return count, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="conversations.json, or a .zip to hold it")
    parser.add_argument("--mb", type=float, default=200.0, help="size of conversations.json")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--conversations", type=int, help="exactly this many conversations")
    args = parser.parse_args()
    target = int(args.mb * 1_000_000)
    if args.path.suffix == ".zip":
        with (
            zipfile.ZipFile(args.path, "w", zipfile.ZIP_DEFLATED) as archive,
            archive.open("conversations.json", "w", force_zip64=True) as out,
        ):
            count, messages = write(out, target, args.seed, args.conversations)
    else:
        with args.path.open("wb") as out:
            count, messages = write(out, target, args.seed, args.conversations)
    size = args.path.stat().st_size / 1e6
    print(
        f"{args.path}: {size:.1f} MB, {count} conversations,"
        f" {messages} messages on their current paths"
    )


if __name__ == "__main__":
    main()
