"""A small in-process stand-in for an NGSI-LD context broker (no broker can be installed here): a stdlib HTTP
server on a free loopback port with the batch upsert and retrieve operations of ETSI GS CIM 009.

POST /ngsi-ld/v1/entityOperations/upsert: the body must be a JSON array of entities, each with id, type and
@context, sent as application/ld+json; with options=update attributes are merged into a stored entity. Answers
201 with the new ids (204 when all existed), 207 with a BatchOperationResult for ids in `refuse`, 400 for a
malformed body. GET /ngsi-ld/v1/entities/{id}. `failures` (statuses answered before succeeding), `delay_s`
(sleep before answering) and `stop()` (the broker goes down: connections are refused) simulate outages.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UPSERT = "/ngsi-ld/v1/entityOperations/upsert"
ENTITIES = "/ngsi-ld/v1/entities/"


class StandInBroker:
    """The broker's state and server; `url` is its base URL."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.failures: list[int] = []
        self.refuse: set[str] = set()
        self.delay_s = 0.0
        self.lock = threading.Lock()
        broker = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                broker.handle_post(self)

            def do_GET(self) -> None:
                broker.handle_get(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Shut the server down and close its socket (later requests are refused)."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        handler.send_response(status)
        if body is not None:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        with self.lock:
            self.requests.append({"path": url.path, "query": url.query, "headers": dict(handler.headers), "raw": raw})
            failure = self.failures.pop(0) if self.failures else None
        time.sleep(self.delay_s)
        if failure is not None:
            self._reply(handler, failure, {"type": "about:blank", "title": "stand-in failure", "detail": "as asked"})
            return
        if url.path != UPSERT:
            self._reply(handler, 404, {"type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", "title": "no"})
            return
        self._upsert(handler, raw, "options=update" in url.query)

    def _upsert(self, handler: BaseHTTPRequestHandler, raw: bytes, merge: bool) -> None:
        body = json.loads(raw)
        content_type = handler.headers.get("Content-Type", "")
        good = isinstance(body, list) and all(
            isinstance(e, dict) and {"id", "type", "@context"} <= set(e) for e in body
        )
        if not content_type.startswith("application/ld+json") or not good:
            self._reply(handler, 400, {"type": "https://uri.etsi.org/ngsi-ld/errors/BadRequestData", "title": "bad"})
            return
        created, errors = [], []
        with self.lock:
            for entity in body:
                if entity["id"] in self.refuse:
                    errors.append({"entityId": entity["id"], "error": {"type": "BadRequestData", "title": "refused"}})
                    continue
                if entity["id"] not in self.entities:
                    created.append(entity["id"])
                    self.entities[entity["id"]] = {}
                stored = self.entities[entity["id"]] if merge else {}
                self.entities[entity["id"]] = {**stored, **entity}
        if errors:
            self._reply(handler, 207, {"success": created, "errors": errors})
        elif created:
            self._reply(handler, 201, created)
        else:
            self._reply(handler, 204)

    def handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        entity_id = urllib.parse.unquote(urllib.parse.urlsplit(handler.path).path.removeprefix(ENTITIES))
        with self.lock:
            entity = self.entities.get(entity_id)
        if entity is None:
            self._reply(handler, 404, {"type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", "title": "no"})
        else:
            self._reply(handler, 200, entity)
