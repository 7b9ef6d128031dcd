"""A tiny TCP proxy that counts client->server round trips (stdlib only).

A round trip is counted each time the client sends data after the server has sent
something since the client's previous send; the first client send counts as one, and so
does a last send that gets no reply (libpq's Terminate). Bytes are forwarded untouched,
so SSL negotiation (SSLRequest -> 'N' or 'S' + TLS) works and counts like any exchange.
`latency` (seconds) adds that much to every round trip, like a server across the internet:
half of it before the first packet of each flight of messages in each direction (and all of
it before the TCP connect).
Use: `with CountingProxy() as px: ...connect to px.port...; px.wait_idle(); px.snapshot()`,
or `python bench/rtproxy.py --listen 6543 --target 127.0.0.1:5432 [--latency-ms 50]`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass
class Stats:
    round_trips: int = 0
    connections: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0  # server -> client


@dataclass
class ConnStats:
    id: int
    round_trips: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    server_spoke: bool = True  # so that the client's first send counts
    open_directions: int = 2


class CountingProxy:
    def __init__(
        self,
        target: tuple[str, int] = ("127.0.0.1", 5432),
        listen: tuple[str, int] = ("127.0.0.1", 0),
        on_close: Callable[[ConnStats], None] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.target = target
        self.latency = latency
        self.on_close = on_close
        self._lock = threading.Condition()
        self._totals = Stats()
        self._active: dict[int, tuple[ConnStats, socket.socket, socket.socket]] = {}
        self._closed: list[ConnStats] = []
        self._next_id = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(listen)
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="rtproxy", daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._listener.close()
        with self._lock:
            socks = [s for _, a, b in self._active.values() for s in (a, b)]
        for s in socks:
            _quiet(s.shutdown, socket.SHUT_RDWR)

    def snapshot(self) -> Stats:
        with self._lock:
            return replace(self._totals)

    def connections(self) -> list[ConnStats]:
        """Per-connection stats since the last reset, closed ones first."""
        with self._lock:
            return [*self._closed, *(c for c, _, _ in self._active.values())]

    def reset(self) -> None:
        with self._lock:
            self._totals = Stats()
            self._closed = []

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every proxied connection has closed (so its last bytes are counted)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._active, timeout)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                if self.latency:  # the TCP handshake is a round trip too
                    time.sleep(self.latency)
                server = socket.create_connection(self.target)
            except OSError as e:
                print(f"rtproxy: cannot reach {self.target}: {e}", file=sys.stderr)
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._next_id += 1
                conn = ConnStats(self._next_id)
                self._active[conn.id] = (conn, client, server)
                self._totals.connections += 1
            for args in ((conn, client, server, True), (conn, server, client, False)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(self, conn: ConnStats, src: socket.socket, dst: socket.socket, up: bool) -> None:
        try:
            self._forward(conn, src, dst, up)
        finally:
            with self._lock:
                conn.open_directions -= 1
                done = conn.open_directions == 0
                if done:
                    del self._active[conn.id]
                    conn.ended = time.monotonic()
                    self._closed.append(conn)
                    self._lock.notify_all()
            if done:
                src.close()
                dst.close()
                if self.on_close is not None:
                    self.on_close(conn)

    def _forward(self, conn: ConnStats, src: socket.socket, dst: socket.socket, up: bool) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                _quiet(dst.shutdown, socket.SHUT_WR)
                return
            # Count before forwarding, so the reply cannot be seen before the request.
            with self._lock:
                t = self._totals
                if up:
                    trip = int(conn.server_spoke)
                    first = bool(trip)  # of this flight of messages
                    conn.server_spoke = False
                    conn.round_trips += trip
                    t.round_trips += trip
                    conn.bytes_up += len(data)
                    t.bytes_up += len(data)
                else:
                    first = not conn.server_spoke
                    conn.server_spoke = True
                    conn.bytes_down += len(data)
                    t.bytes_down += len(data)
            if self.latency and first:  # the rest of a flight follows right behind it
                time.sleep(self.latency / 2)
            try:
                dst.sendall(data)
            except OSError:
                _quiet(src.shutdown, socket.SHUT_RDWR)
                return


def _quiet(fn: Callable[[int], None], arg: int) -> None:
    with contextlib.suppress(OSError):
        fn(arg)


def _hostport(s: str) -> tuple[str, int]:
    host, _, port = s.rpartition(":")
    return (host or "127.0.0.1", int(port))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Count client->server round trips through a proxy.")
    p.add_argument("--listen", type=int, default=6543, help="port on 127.0.0.1 (0: any free)")
    p.add_argument("--target", type=_hostport, default=("127.0.0.1", 5432), help="HOST:PORT")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every round trip")
    args = p.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def report(c: ConnStats) -> None:
        ms = ((c.ended or time.monotonic()) - c.started) * 1000
        up, down = c.bytes_up, c.bytes_down
        print(f"conn #{c.id}: round_trips={c.round_trips} up={up}B down={down}B {ms:.0f}ms")

    with CountingProxy(
        target=args.target,
        listen=("127.0.0.1", args.listen),
        on_close=report,
        latency=args.latency_ms / 1000,
    ) as px:
        print(f"rtproxy: 127.0.0.1:{px.port} -> {args.target[0]}:{args.target[1]}")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
        print(f"total: {px.snapshot()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
