"""`ahead`: the helper thread that builds import batches while the database stores one."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from todo_cli.services.prefetch import ahead


def _numbers(n: int, fail_at: int | None = None, log: list[int] | None = None) -> Iterator[int]:
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"bad item {i}")
        if log is not None:
            log.append(i)
        yield i


def test_ahead_yields_every_item_in_order() -> None:
    with ahead(_numbers(1000), depth=3) as items:
        assert list(items) == list(range(1000))


def test_ahead_raises_the_producers_error_where_it_happened() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="bad item 7"), ahead(_numbers(100, fail_at=7)) as items:
        for item in items:
            got.append(item)
    assert got == list(range(7))


@pytest.mark.parametrize("how", ["break", "error"])
def test_ahead_stops_the_producer_when_the_consumer_stops(how: str) -> None:
    produced: list[int] = []
    threads = threading.active_count()
    with pytest.raises(KeyError) if how == "error" else contextlib.nullcontext():  # noqa: SIM117
        with ahead(_numbers(10_000, log=produced), depth=2) as items:
            assert next(items) == 0
            if how == "error":
                raise KeyError("the consumer failed")  # as a database error or Ctrl-C would
    assert threading.active_count() == threads
    assert len(produced) < 10  # it stopped a few items ahead, not at the end
