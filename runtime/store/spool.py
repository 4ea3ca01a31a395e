"""The durable audit spool: set-point audit records appended (and fsynced) to a JSON-lines file while the
database cannot take them, so no set-point reaches a device without its audit record on disk.

Each record is first spooled as an intent (``{"uid", "ts", "record"}``, the write not made yet) and then, once
the device answered, as an outcome line (``{"uid", "outcome"}``). :meth:`AuditSpool.drain` merges them: an
intent without an outcome (the service stopped in between) is kept with ``ok`` False and a message saying so.
Each record keeps its uid in the database (``setpoint_audit.spool_uid``, unique), so a drain repeated after a crash
between storing and emptying the spool stores nothing twice. Times are ISO 8601 UTC; kW as in ``SetpointAuditIn``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

from runtime.store.records import SetpointAuditIn

SPOOL_FILE = "setpoint-audit.jsonl"
NO_OUTCOME = "; outcome unknown: the service stopped before the device answered"


class AuditSpool:
    """A JSON-lines spool of audit records in `folder` (created on first use); thread-safe."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / SPOOL_FILE
        self._lock = threading.Lock()
        self._count: int | None = None  # records spooled and not drained; None: not counted yet (read the file)

    def _append(self, lines: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def intents(self, uids: list[str], entries: list[SetpointAuditIn], ts: dt.datetime) -> None:
        """Spool the audit records of writes about to be made (raises OSError if the spool is unwritable)."""
        stamp = ts.astimezone(dt.UTC).isoformat()
        self.pending()  # counted from the file before this append
        self._append(
            [{"uid": u, "ts": stamp, "record": dataclasses.asdict(e)} for u, e in zip(uids, entries, strict=True)]
        )
        with self._lock:
            self._count = (self._count or 0) + len(uids)

    def outcomes(self, uids: list[str], entries: list[SetpointAuditIn]) -> None:
        """Spool the outcomes (applied kW, ok, message) of writes made."""
        self._append(
            [
                {"uid": u, "outcome": {"applied": e.applied, "ok": e.ok, "message": e.message}}
                for u, e in zip(uids, entries, strict=True)
            ]
        )

    def pending(self) -> int:
        """Records spooled and not drained yet (the file is read once; then counted in memory)."""
        if self._count is None:
            with self._lock:
                self._count = len(self._read())
        return self._count

    def _read(self) -> list[tuple[str, dt.datetime, SetpointAuditIn]]:
        if not self.path.exists():
            return []
        records: dict[str, tuple[dt.datetime, dict[str, Any]]] = {}
        for raw in self.path.read_text(encoding="utf-8").splitlines():
            if not raw.strip():
                continue
            line = json.loads(raw)
            if "record" in line:
                record = dict(line["record"])
                record["message"] = record.get("message", "") + NO_OUTCOME
                records[line["uid"]] = (dt.datetime.fromisoformat(line["ts"]), record)
            elif line["uid"] in records:
                ts, record = records[line["uid"]]
                records[line["uid"]] = (ts, {**record, **line["outcome"]})
        return [(uid, ts, SetpointAuditIn(**record)) for uid, (ts, record) in records.items()]

    def drain(self, store_records: Any) -> int:
        """Hand every spooled record, in order, to `store_records(list[(uid, ts, SetpointAuditIn)])`, then empty
        the spool; returns how many. If `store_records` raises, the spool is kept as it was. A crash between the
        two leaves records already stored in the spool: `store_records` must skip uids it holds (the database's
        unique ``spool_uid``), so draining again adds no duplicate."""
        with self._lock:
            records = self._read()
            if records:
                store_records(records)
            if self.path.exists():
                self.path.unlink()
            self._count = 0
        return len(records)
