"""Read endpoints answered from the service's read model (``runtime.reads``): prepared JSON bytes with an ETag.

A fresh snapshot is served on the event loop without a thread hop or a database query; a stale one is rebuilt in
a worker thread (once for all concurrent readers). ``If-None-Match`` with the current ETag gets 304.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import Request, Response

from runtime.loop.service import Service
from runtime.reads import Snapshot

CACHE_CONTROL = "private, no-cache"
"""Clients may keep a body but must revalidate it (ETag) before use."""


async def snapshot(svc: Service, key: str, build: Callable[[], bytes]) -> Snapshot:
    """The valid snapshot of `key`: from memory when fresh, else built in a worker thread."""
    snap = svc.reads.fresh(key)
    if snap is None:
        snap = await asyncio.to_thread(svc.reads.get, key, build)
    return snap


async def prepared(request: Request, svc: Service, key: str, build: Callable[[], bytes]) -> Response:
    """The response of a read endpoint: the snapshot's body, or 304 if the client holds it already."""
    snap = await snapshot(svc, key, build)
    headers = {"ETag": snap.etag, "Cache-Control": CACHE_CONTROL}
    if request.headers.get("if-none-match") == snap.etag:
        return Response(status_code=304, headers=headers)
    return Response(snap.body, media_type="application/json", headers=headers)
