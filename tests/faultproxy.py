"""A TCP proxy that misbehaves the way a waking or failing Neon endpoint does (tests only).

Modes:
- `refuse_for(seconds)`: nothing listens on the port at first (connections are refused), then
  the proxy starts accepting, like a compute that is still waking up.
- `stall=True`: connections are accepted and then never answered.
- `cut_after_up(n)`: forward normally, then cut every connection once `n` bytes have gone up
  from the client, e.g. in the middle of a large transaction.
- `silent_for(seconds)`: connections made in the first `seconds` are accepted and never
  answered (a compute that hangs while waking); later ones are forwarded normally.
- `cut_on(marker, silent_after=0)`: forward the first message holding `marker` (b"COMMIT",
  b"INSERT") to the server, then drop its answer and cut the connection: the change is
  stored, and the client cannot know it; then be silent (as above) for `silent_after` s.
`upstreams` counts the connections that reached the server.
All loops are bounded; `close()` ends everything. Traffic only goes to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class FaultProxy:
    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.stall = False
        self.cut_after: int | None = None
        self.cuts = 0
        self.accepted = 0
        self.upstreams = 0
        self._silent_until = 0.0
        self._cut_on: bytes | None = None
        self._silent_after = 0.0
        self._refuse_until = 0.0
        self._closed = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def refuse_for(self, seconds: float) -> FaultProxy:
        self._refuse_until = time.monotonic() + seconds
        return self

    def cut_after_up(self, n_bytes: int) -> FaultProxy:
        self.cut_after = n_bytes
        return self

    def silent_for(self, seconds: float) -> FaultProxy:
        self._silent_until = time.monotonic() + seconds
        return self

    def cut_on(self, marker: bytes, silent_after: float = 0.0) -> FaultProxy:
        self._cut_on, self._silent_after = marker, silent_after
        return self

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        with self._lock:
            for c in self._conns:
                with contextlib.suppress(OSError):
                    c.close()

    def _serve(self) -> None:
        # Not listening yet means the kernel refuses connections, exactly like a dead port.
        while time.monotonic() < self._refuse_until and not self._closed.is_set():
            time.sleep(0.02)
        if self._closed.is_set():
            return
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        while not self._closed.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with self._lock:
                self._conns.append(client)
            if self.stall or time.monotonic() < self._silent_until:
                continue  # hold it open, say nothing
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self.upstreams += 1
            with self._lock:
                self._conns.append(upstream)
            sent = [0]
            threading.Thread(
                target=self._pump, args=(client, upstream, sent, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, sent, False), daemon=True
            ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, sent: list[int], up: bool) -> None:
        try:
            while not self._closed.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if up and self.cut_after is not None and sent[0] + len(data) > self.cut_after:
                    self.cuts += 1
                    self.cut_after = None  # cut once; the retry gets through
                    break
                if up:
                    sent[0] += len(data)
                dst.sendall(data)
                if up and self._cut_on is not None and self._cut_on in data:
                    self._cut_on = None  # once
                    self.cuts += 1
                    self._silent_until = time.monotonic() + self._silent_after
                    src.shutdown(socket.SHUT_RDWR)  # the client hears nothing more...
                    time.sleep(0.5)  # ...while the server stores the change
                    break
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
