"""Run a producer in a helper thread, a few items ahead of the code that consumes them.

The imports use it so that building the next batch (Python, holding the GIL) overlaps with
storing the current one: SQLite runs a whole multi-row INSERT with the GIL released, and
psycopg2 releases it while libpq waits for the server to take COPY data. `todo import` builds
the task rows and journal images in it (1.10x on SQLite in paired runs, no difference on
PostgreSQL), `todo chat import` parses the next batch and makes its message rows in it on
PostgreSQL only (1.09x and 1.10x there, no gain on SQLite); bench/README.md has the numbers.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


@contextmanager
def ahead(items: Iterable[T], depth: int = 4) -> Iterator[Iterator[T]]:
    """`with ahead(items) as it:` gives the items of `items`, made by a helper thread up to
    `depth` + 1 items in advance.

    An exception in the producer is raised in the consumer, at the point in the sequence where
    it happened. When the `with` block ends, however it ends (done, an error, Ctrl-C), the
    producer is told to stop and is waited for, so it never outlives the block.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
        except BaseException as e:  # handed over to the consumer, which raises it
            q.put(_Failed(e))
        else:
            q.put(_DONE)

    def consume() -> Iterator[T]:
        while (item := q.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    worker = threading.Thread(target=produce, name="todo-ahead", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        while worker.is_alive():  # free a producer blocked on a full queue
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        worker.join()
