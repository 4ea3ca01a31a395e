"""Error bodies of the API and their documentation in OpenAPI.

- Every 422 of /api/v1 is FastAPI's list form ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`` whose
  last ``loc`` item names the field: the routers' own checks (``HTTPException(422, "field: why")``) and
  runtime's ``ValueError("field: why")`` are turned into it.
- A body that is not valid JSON is 400 ``{"detail": "body: ..."}`` instead of a 422.
- OpenAPI states both: the 422 of every operation is ``HTTPValidationError`` and every operation with a body
  documents the 400.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

API_PREFIX = "/api/v1"
FIELD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\[\]]*)\s*:")


def field_errors(message: str) -> list[dict[str, Any]]:
    """A message ``"field: why"`` as the list form of a 422, located at ``["body", field]``."""
    match = FIELD.match(message)
    loc = ["body", match.group(1)] if match else ["body"]
    return [{"loc": loc, "msg": message, "type": "value_error"}]


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        where = next(e for e in errors if e.get("type") == "json_invalid")
        reason = where.get("ctx", {}).get("error", "invalid JSON")
        return JSONResponse({"detail": f"body: malformed JSON ({reason}); send a JSON object"}, status_code=400)
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 422 and isinstance(exc.detail, str) and request.url.path.startswith(API_PREFIX):
        return JSONResponse({"detail": field_errors(exc.detail)}, status_code=422, headers=exc.headers)
    from fastapi.exception_handlers import http_exception_handler

    return await http_exception_handler(request, exc)


async def _value_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": field_errors(str(exc))}, status_code=422)


def add_error_handlers(app: FastAPI) -> None:
    """Install the handlers above on `app`."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ValueError, _value_error)


MESSAGE = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}
MALFORMED = {"description": "Malformed JSON body", **MESSAGE}
INVALID = {
    "description": "Validation Error: the list of problems, each naming its field in loc",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
}


def document_errors(app: FastAPI) -> None:
    """Make /openapi.json state the 400 and the list-form 422 the server returns."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "Message",
            {
                "title": "Message",
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            },
        )
        _ensure_validation_schemas(components)
        metrics = schema.get("paths", {}).get("/metrics", {}).get("get")
        if metrics is not None:  # api.middleware.MetricsGuard
            metrics["responses"]["401"] = {**MESSAGE, "description": "EMS_METRICS_TOKEN set and not sent"}
            metrics["responses"]["403"] = {**MESSAGE, "description": "Not a loopback client (no EMS_METRICS_TOKEN)"}
        for path, item in schema.get("paths", {}).items():
            for operation in item.values():
                if not isinstance(operation, dict) or not path.startswith(API_PREFIX):
                    continue
                responses = operation.setdefault("responses", {})
                if "requestBody" in operation:
                    responses["400"] = MALFORMED
                if "422" in responses or "requestBody" in operation or operation.get("parameters"):
                    responses["422"] = INVALID
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ensure_validation_schemas(components: dict[str, Any]) -> None:
    """FastAPI adds HTTPValidationError only when some route validates; make sure both schemas exist."""
    components.setdefault(
        "ValidationError",
        {
            "title": "ValidationError",
            "type": "object",
            "properties": {
                "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"type": "string"},
                "type": {"type": "string"},
            },
            "required": ["loc", "msg", "type"],
        },
    )
    components.setdefault(
        "HTTPValidationError",
        {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}},
        },
    )
