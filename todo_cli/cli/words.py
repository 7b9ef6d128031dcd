"""Taskwarrior's way of typing a task: all the words are the title, and some of them are
attributes: `todo add buy eggs due:tomorrow +shop pri:H project:Home`.

`key:value` for the keys below (Taskwarrior's abbreviations too) and `+tag`; everything after
`--` is title text, and so is a word that only looks like an attribute (`http://x`, `a:b` with
an unknown key, `+` alone). (Taskwarrior's `-tag` would read as options here: `--untag` it is.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEYS = {
    "due": "due",
    "wait": "wait",
    "scheduled": "scheduled",
    "sched": "scheduled",
    "until": "until",
    "project": "project",
    "proj": "project",
    "pro": "project",
    "priority": "priority",
    "pri": "priority",
    "recur": "recur",
    "depends": "depends",
    "dep": "depends",
}
PRIORITY_WORDS = {"h": "high", "m": "medium", "l": "low", "": "none", "none": "none"}
_TAG = re.compile(r"\+[^\s+\-:][^\s]*")


@dataclass
class Words:
    """The words of a title, and the attributes found among them (values as typed)."""

    title: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    add_tags: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.title)


def parse(words: list[str], literal: int = 0) -> Words:
    """Split `words` into title and attributes; the last `literal` of them (after `--`) are
    title text whatever they look like."""
    out = Words()
    plain = len(words) - literal
    for i, word in enumerate(words):
        if i >= plain:
            out.title.append(word)
        elif _TAG.fullmatch(word):
            out.add_tags.append(word[1:])
        elif (attribute := _attribute(word)) is not None:
            key, value = attribute
            out.attributes[key] = value
        else:
            out.title.append(word)
    return out


def _attribute(word: str) -> tuple[str, str] | None:
    key, colon, value = word.partition(":")
    name = KEYS.get(key.lower())
    if not colon or name is None or value.startswith("//"):
        return None
    if name == "priority":
        value = PRIORITY_WORDS.get(value.lower(), value)
    return name, value
