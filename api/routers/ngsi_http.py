"""The HTTP side of the NGSI-LD endpoint: content negotiation (application/json, application/ld+json,
application/geo+json), the JSON-LD context Link header, and ProblemDetails error answers.

ETSI GS CIM 009 §6.3: without an Accept header (or with */*) the answer is application/json, whose @context is
given by a Link header; application/ld+json carries the @context in each entity. A request's own Link context is
accepted when the EMS can interpret it offline (its own, a vendored Smart Data Model subject's, the Smart Data
Models' unified one, an NGSI-LD core context); any other cannot be fetched here: 503 LdContextNotAvailable.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.schemas.ngsi import CONTEXT_NOT_AVAILABLE, HTTP_ERROR, ProblemDetails
from runtime.ngsi.vocabulary import CATALOGUE_CONTEXT_ID, known_request_context

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
WILDCARDS = {"*/*": JSON, "application/*": JSON}


class NgsiError(Exception):
    """An error answered as NGSI-LD ProblemDetails."""

    def __init__(self, status: int, error_type: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = ProblemDetails(type=error_type, title=title, detail=detail, status=status)

    def response(self) -> JSONResponse:
        """The error as an application/json ProblemDetails answer."""
        return JSONResponse(self.problem.model_dump(), status_code=self.problem.status, media_type=JSON)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDetails, "description": text}
    for code, text in (
        (400, "BadRequestData: a malformed parameter (named in detail)"),
        (401, "not authenticated"),
        (404, "ResourceNotFound"),
        (406, "Accept names no supported media type"),
        (503, "LdContextNotAvailable: the request's Link context cannot be fetched offline"),
    )
}


def negotiate(accept: str | None) -> str:
    """The answer's media type for an Accept header (highest q among the supported; 406 if none)."""
    if not accept or not accept.strip():
        return JSON
    best, best_q = None, 0.0
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        media = WILDCARDS.get(media.lower(), media.lower())
        if media in (JSON, JSON_LD, GEO_JSON) and q > best_q:
            best, best_q = media, q
    if best is None:
        raise NgsiError(
            406, HTTP_ERROR, "Not Acceptable", f"Accept: '{accept}'; ask for {JSON}, {JSON_LD} or {GEO_JSON}"
        )
    return best


def check_request_context(link: str | None) -> None:
    """503 LdContextNotAvailable if the request's Link header names a context the EMS cannot interpret."""
    if not link:
        return
    for url in re.findall(r"<([^>]*)>[^,]*rel=\"?" + re.escape(CONTEXT_REL), link):
        if not known_request_context(url):
            raise NgsiError(
                503,
                CONTEXT_NOT_AVAILABLE,
                "LdContext not available",
                f"Link: the context {url} cannot be fetched here; use /ngsi-ld/v1/jsonldContexts/"
                f"{CATALOGUE_CONTEXT_ID} or a Smart Data Models context (or send no Link header)",
            )


def context_url(request: Request) -> str:
    """The absolute URL of the catalogue context served by this app."""
    return str(request.url_for("ngsi_context", context_id=CATALOGUE_CONTEXT_ID))


def answer(request: Request, body: Any, media_type: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A 200 answer; JSON and GeoJSON carry the context in a Link header (JSON-LD has it in the body)."""
    all_headers = dict(headers or {})
    if media_type != JSON_LD:
        all_headers["Link"] = f'<{context_url(request)}>; rel="{CONTEXT_REL}"; type="{JSON_LD}"'
    return JSONResponse(body, media_type=media_type, headers=all_headers)
