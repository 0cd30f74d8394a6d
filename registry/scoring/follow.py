"""`podium serve --follow`: keep serving whatever version an alias (or stage) points at.

A thread in each server worker asks the registry every `interval` seconds which version the
reference names. When it changes, the new version is fetched (or taken from the shared cache),
verified, loaded and only then swapped in; requests running at that moment finish on the old model,
and a version that fails to fetch, verify or load is never swapped in (the old one keeps serving
and the next poll tries again).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from registry.deploy.connection import RegistryConnection
from registry.deploy.fetch import describe_version, ensure_cached, resolve_version
from registry.domain.errors import PodiumError
from registry.domain.model_uris import ModelReference
from registry.scoring.app import ModelSlot
from registry.scoring.loading import load_fetched

log = logging.getLogger(__name__)


class Follower:
    def __init__(
        self,
        slot: ModelSlot,
        connection: RegistryConnection,
        reference: ModelReference,
        cache_root: Path,
        interval: float,
    ) -> None:
        self.slot = slot
        self.connection = connection
        self.reference = reference
        self.cache_root = cache_root
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="podium-follow", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def check(self) -> bool:
        """Swap to the version the reference names now, if it changed. True if it swapped."""
        try:
            version = resolve_version(self.connection, self.reference)
            current = self.slot.current
            if version == current.version:
                return False
            resolved = describe_version(self.connection, self.reference.name, version)
            model = load_fetched(ensure_cached(self.connection, resolved, self.cache_root))
        except PodiumError as exc:
            log.warning("%s: keeping version %s: %s", self.reference, self.slot.current.version, exc)
            return False
        except Exception:
            log.exception(
                "%s: keeping version %s after an unexpected error", self.reference, self.slot.current.version
            )
            return False
        previous = self.slot.swap(model)
        log.info("%s: now serving version %s (was %s)", self.reference, model.version, previous.version)
        return True
