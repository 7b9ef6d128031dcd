"""How fast `todo_cli.chat_formats` reads an export, and at what peak memory.

    .venv/bin/python bench/chat_export_gen.py /tmp/conversations.json
    /usr/bin/time -v .venv/bin/python bench/chat_import_speed.py /tmp/conversations.json

Prints conversations, messages, seconds, messages/s and the peak RSS of this process (which
`/usr/bin/time -v` also reports as "Maximum resident set size").
"""

from __future__ import annotations

import argparse
import resource
import time

from todo_cli.chat_formats import open_chats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--format", default="auto")
    args = parser.parse_args()
    start = time.perf_counter()
    conversations = messages = 0
    with open_chats(args.path, args.format) as chats:
        for conv in chats:
            conversations += 1
            messages += len(conv.messages)
        done, total = chats.progress()
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.path} ({chats.format}, {done:,} of {total or 0:,} read): "
        f"{conversations:,} conversations, {messages:,} messages in {seconds:.2f} s = "
        f"{messages / seconds:,.0f} messages/s; peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
