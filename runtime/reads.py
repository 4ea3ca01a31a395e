"""The read model: what the read endpoints serve, prepared once and reused until storage changes.

A snapshot is the finished response body (bytes, e.g. JSON) of one read (the city's status, the plan in force ...)
with a strong ETag (BLAKE2b of the body). It stays valid while nothing was committed to the store by this
process (``Store.changes``) and for at most `max_age_s` seconds, by the wall clock (monotonic) and by the
service's clock, so ages shown in a snapshot are at most `max_age_s` old and writes by other processes (the
``ems`` CLI) are seen within `max_age_s`. One rebuild per key at a time: while it runs, other readers get the
previous snapshot if it is younger than `max_age_s` (else they wait for the build). :meth:`ReadCache.warm`
rebuilds the registered keys after each loop step, so readers rarely pay for a build. Disabled
(``EMS_READ_CACHE=false``), every read builds its body (the benchmark's baseline).

Login sessions and API keys resolve through :meth:`ReadCache.principal` under the same rule: a logout,
revocation or password change made through this service is seen at the next request (it commits); one made by
the CLI in another process within `max_age_s`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from runtime.security import Principal
from runtime.store.db import STORAGE_ERRORS

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], dt.datetime]
MAX_PRINCIPALS = 1024
"""Credentials whose resolution is kept (least recently used dropped first)."""


@dataclass(frozen=True)
class Snapshot:
    """One prepared read: body bytes, its ETag (quoted), the store version and times it was built at."""

    body: bytes
    etag: str
    version: int
    built_mono: float
    """time.monotonic() at the build (s)."""
    built_at: dt.datetime
    """The service's clock at the build (tz-aware UTC)."""


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    version: int
    built_mono: float
    built_at: dt.datetime


def etag_of(body: bytes) -> str:
    """A strong ETag of `body` (quoted hex digest)."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class ReadCache:
    """Prepared read bodies and resolved credentials of one service; thread-safe."""

    def __init__(self, changes: Callable[[], int], clock: Clock, enabled: bool = True, max_age_s: float = 2.0) -> None:
        """`changes()`: the store's change counter (``Store.changes``); `clock()`: the service's clock."""
        self.changes, self.clock, self.enabled, self.max_age_s = changes, clock, enabled, max_age_s
        self._snapshots: dict[str, Snapshot] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._builders: dict[str, Callable[[], bytes]] = {}
        self._principals: OrderedDict[str, _Entry[Principal | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0
        """Bodies built (for tests and the benchmark)."""

    def _young(self, built_mono: float, built_at: dt.datetime) -> bool:
        if time.monotonic() - built_mono > self.max_age_s:
            return False
        return abs((self.clock() - built_at).total_seconds()) <= self.max_age_s

    def _valid(self, version: int, built_mono: float, built_at: dt.datetime) -> bool:
        return self.enabled and version == self.changes() and self._young(built_mono, built_at)

    def fresh(self, key: str) -> Snapshot | None:
        """The snapshot of `key` if still valid, or while another thread rebuilds it, if younger than `max_age_s`
        (readers do not queue behind a rebuild); else None. Never blocks: for the event loop."""
        snap = self._snapshots.get(key)
        if snap is None or not self.enabled:
            return None
        if self._valid(snap.version, snap.built_mono, snap.built_at):
            return snap
        lock = self._locks.get(key)
        rebuilding = lock is not None and lock.locked()
        return snap if rebuilding and self._young(snap.built_mono, snap.built_at) else None

    def get(self, key: str, build: Callable[[], bytes]) -> Snapshot:
        """The valid snapshot of `key`, built by `build()` if there is none (one build at a time per key)."""
        snap = self.fresh(key)
        if snap is not None:
            return snap
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            snap = self._snapshots.get(key)  # built by another reader while this one waited?
            if snap is not None and self._valid(snap.version, snap.built_mono, snap.built_at):
                return snap
            version, mono, at = self.changes(), time.monotonic(), self.clock()
            body = build()
            self.builds += 1
            snap = Snapshot(body, etag_of(body), version, mono, at)
            if self.enabled:
                self._snapshots[key] = snap
            return snap

    def register(self, key: str, build: Callable[[], bytes]) -> None:
        """Keep `key` warm: :meth:`warm` rebuilds it when stale."""
        self._builders[key] = build

    def warm(self) -> int:
        """Rebuild every registered key that is stale (after a loop step); how many were built. A failed build
        (storage failing, nothing to show yet) leaves the key stale: the next reader builds it and gets the error."""
        if not self.enabled:
            return 0
        built = 0
        for key, build in list(self._builders.items()):
            if self.fresh(key) is None:
                try:
                    self.get(key, build)
                    built += 1
                except STORAGE_ERRORS as exc:
                    log.warning("read model: %s not rebuilt (%s)", key, type(exc).__name__)
                except Exception as exc:  # e.g. no plan yet (a 404 for the reader): nothing to prepare
                    log.debug("read model: %s not rebuilt (%s)", key, exc)
        return built

    def principal(self, token: str, resolve: Callable[[], Principal | None]) -> Principal | None:
        """`resolve()` for the credential `token` (its principal, None if invalid), reused under the snapshot
        rule."""
        known, value = self.cached_principal(token)
        if known:
            return value
        version, mono, at = self.changes(), time.monotonic(), self.clock()
        value = resolve()
        if self.enabled:
            with self._lock:
                self._principals[token] = _Entry(value, version, mono, at)
                self._principals.move_to_end(token)
                while len(self._principals) > MAX_PRINCIPALS:
                    self._principals.popitem(last=False)
        return value

    def cached_principal(self, token: str) -> tuple[bool, Principal | None]:
        """(True, the principal or None) if `token`'s resolution is still valid, else (False, None)."""
        entry = self._principals.get(token) if self.enabled else None
        if entry is not None and self._valid(entry.version, entry.built_mono, entry.built_at):
            return True, entry.value
        return False, None
