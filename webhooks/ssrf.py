"""The only way the dispatcher opens connections: checked at the socket, bounded in time.

The SSRF check runs in the HTTP client's connection class, after `connect()` and before anything is
sent (before the TLS handshake too): it reads the connected socket's peer address and applies the
address policy (registry.domain.network). Checking the socket, not the name, closes the DNS
rebinding gap of checking a name at registration and connecting to whatever it resolves to later.
A kept-alive connection is judged again whenever an attempt sends on it, so every attempt is checked
against the policy it runs under; redirects are never followed (the caller passes
`allow_redirects=False`; a 3xx is a failed attempt). A connection used outside an attempt is
refused: the guard fails closed.

requests' timeouts bound each socket operation, not the whole attempt: a receiver that drips a byte
every few seconds could hold an attempt, and its lease, indefinitely. `Deadlines` ends such attempts
by shutting their sockets down once the attempt's time is up, so an attempt never outlives its lease
and no two dispatchers ever send the same delivery at the same time.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from registry.domain.network import AddressPolicy

USER_AGENT = "Podium-Webhooks/1"


class ForbiddenAddress(Exception):
    """The connected peer is not an address Podium may contact. Deliberately not an OSError, so
    urllib3 neither wraps nor retries it: the refusal ends the attempt."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class Watch:
    """One attempt: the policy its connections must pass, its deadline, and its sockets."""

    policy: AddressPolicy
    deadline: float
    sockets: list[socket.socket] = field(default_factory=list)
    expired: bool = False
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        with self.lock:
            if self.finished:
                return
            self.expired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()


def _checked(sock: socket.socket) -> socket.socket:
    watch: Watch | None = getattr(_current, "watch", None)
    try:
        if watch is None:
            raise ForbiddenAddress("connections are only opened inside a delivery attempt")
        host, port = sock.getpeername()[:2]
        verdict = watch.policy.judge(host, port)
        if not verdict.allowed:
            raise ForbiddenAddress(verdict.reason)
    except BaseException:
        sock.close()
        raise
    watch.add(sock)
    return sock


def _recheck(sock: socket.socket | None) -> None:
    """A kept-alive connection about to carry another attempt: judge it under this attempt."""
    if sock is not None:
        _checked(sock)


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())

    def request(self, *args: Any, **kwargs: Any) -> None:
        _recheck(self.sock)
        super().request(*args, **kwargs)


class GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())

    def request(self, *args: Any, **kwargs: Any) -> None:
        _recheck(self.sock)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


def guarded_pool(size: int = 32) -> urllib3.PoolManager:
    """Connections for the sender threads (urllib3's pools are thread-safe), every one through the
    guard, keeping up to `size` alive per host. No proxy is ever used: a proxy would make the peer
    check judge the proxy instead of the receiver."""
    manager = urllib3.PoolManager(num_pools=64, maxsize=size, ca_certs=certifi.where())
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class Deadlines:
    """One thread that ends attempts past their deadline (see the module docstring)."""

    def __init__(self, tick: float = 0.05) -> None:
        self._tick = tick
        self._heap: list[tuple[float, int, Watch]] = []
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-deadlines", daemon=True)
        self._thread.start()

    @contextmanager
    def attempt(self, policy: AddressPolicy, seconds: float) -> Iterator[Watch]:
        """Run one attempt's connections under `policy`, ended after `seconds` at the latest."""
        watch = Watch(policy=policy, deadline=time.monotonic() + seconds)
        with self._lock:
            heapq.heappush(self._heap, (watch.deadline, next(self._counter), watch))
        _current.watch = watch
        try:
            yield watch
        finally:
            _current.watch = None
            with watch.lock:
                watch.finished = True
                watch.sockets.clear()

    def _run(self) -> None:
        while not self._stop.wait(self._tick):
            now = time.monotonic()
            due: list[Watch] = []
            with self._lock:
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for watch in due:
                watch.expire()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
