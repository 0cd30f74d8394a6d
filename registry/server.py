"""`podium server`: gunicorn running the app, configured from Settings (no config file needed).

Workers are threaded (gthread) because the mlflow client downloads a model's files in parallel over
keep-alive connections. TCP_NODELAY is set on the listening sockets (accepted sockets inherit it on
Linux): gunicorn writes headers and body separately, and with Nagle's algorithm the second small
write waits for the client's delayed ACK, adding ~40 ms to every keep-alive request.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from registry.app import create_app
from registry.config import Settings
from registry.ui import session as ui_session

# Hooks feature areas add (e.g. the webhook dispatcher thread), called with (server, worker).
WorkerHook = Callable[[Any, Any, Settings], None]
post_worker_init_hooks: list[WorkerHook] = []


def _nodelay(server: Any) -> None:
    for listener in server.LISTENERS:
        sock = getattr(listener, "sock", None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PodiumServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        host = f"[{s.host}]" if ":" in s.host else s.host
        options: dict[str, Any] = {
            "bind": f"{host}:{s.port}",
            "workers": s.workers,
            "worker_class": "gthread",
            "threads": s.threads,
            "timeout": 120,
            "graceful_timeout": 30,
            # Short enough that a graceful stop (which waits for idle keep-alive connections) is quick,
            # long enough that a client's burst of calls reuses one connection.
            "keepalive": 5,
            "loglevel": s.log_level,
            "errorlog": "-",
            "proc_name": "podium",
            # gunicorn's control socket defaults to one path per user: several servers on a host
            # would fight over it, and Podium does not use it.
            "control_socket_disable": True,
            "when_ready": _nodelay,
            "post_worker_init": self._post_worker_init,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def _post_worker_init(self, worker: Any) -> None:
        for hook in post_worker_init_hooks:
            hook(self, worker, self.settings)

    def load(self) -> Any:
        return create_app(self.settings)


def run(settings: Settings) -> None:
    # Before gunicorn forks: without PODIUM_SECRET_KEY, every worker then inherits one UI session key.
    ui_session.share_process_key()
    PodiumServer(settings).run()
