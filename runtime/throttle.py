"""Back-off of failed logins, per account name and per client address (in memory, per process).

After `free` failures a key (an account name, known or not, or an address) must wait before the next try:
`base_s`, then twice that at each further failure, at most `max_s` seconds. A success clears the account's
count (the address keeps its count, so spraying many names from one address still backs off). Keys idle for
longer than `max_s` are forgotten. Times are seconds of a monotonic clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


class Backoff:
    """Failure counts and wait times of one kind of key."""

    def __init__(self, free: int, base_s: float, max_s: float) -> None:
        self.free, self.base_s, self.max_s = free, base_s, max_s
        self._entries: dict[str, _Entry] = {}

    def wait_s(self, key: str, now: float) -> float:
        """Seconds `key` must still wait (0 = it may try now)."""
        entry = self._entries.get(key)
        return 0.0 if entry is None else max(0.0, entry.until - now)

    def fail(self, key: str, now: float) -> None:
        """Count a failure of `key`; past the free ones it must wait base_s * 2^(extra failures - 1)."""
        entry = self._entries.setdefault(key, _Entry())
        if now - entry.last > self.max_s:
            entry.failures = 0
        entry.failures += 1
        entry.last = now
        extra = entry.failures - self.free
        if extra > 0:
            entry.until = now + min(self.max_s, self.base_s * 2 ** min(extra - 1, 30))

    def clear(self, key: str) -> None:
        """Forget `key`'s failures."""
        self._entries.pop(key, None)

    def forget_idle(self, now: float) -> None:
        """Drop keys idle for longer than max_s (bounded memory under a spray of names)."""
        for key in [k for k, e in self._entries.items() if now - e.last > self.max_s and e.until <= now]:
            del self._entries[key]


class LoginThrottle:
    """Per-account and per-address back-off of logins; thread-safe (sync routes run in a thread pool)."""

    def __init__(
        self,
        account_free: int = 5,
        address_free: int = 20,
        base_s: float = 1.0,
        max_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.accounts = Backoff(account_free, base_s, max_s)
        self.addresses = Backoff(address_free, base_s, max_s)
        self.clock = clock
        self._lock = threading.Lock()

    def retry_after_s(self, username: str, address: str) -> float:
        """Seconds before this name may be tried from this address (0 = now)."""
        with self._lock:
            now = self.clock()
            return max(self.accounts.wait_s(username, now), self.addresses.wait_s(address, now))

    def failed(self, username: str, address: str) -> None:
        """Record a failed login (wrong password or unknown name, counted alike)."""
        with self._lock:
            now = self.clock()
            self.accounts.fail(username, now)
            self.addresses.fail(address, now)
            self.accounts.forget_idle(now)
            self.addresses.forget_idle(now)

    def succeeded(self, username: str) -> None:
        """Record a successful login: the account starts afresh."""
        with self._lock:
            self.accounts.clear(username)
