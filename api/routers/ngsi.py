"""/ngsi-ld/v1: the read-only NGSI-LD endpoint of the city data platform (ETSI GS CIM 009): Query Entities,
Retrieve Entity, the available types, and the EMS's JSON-LD context.

Behind the API's authentication (bearer token, API key or session cookie); every role reads, a facility manager
sees only the entities of their facility (others answer 404, as if absent). Entities are built per request from
the live status, the scenario and the slot's shelter autonomy (runtime.ngsi); errors are ProblemDetails with the
NGSI-LD error types.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from api.routers.deps import ServiceDep, optional_principal
from api.routers.ngsi_http import (
    GEO_JSON,
    JSON_LD,
    PROBLEM_RESPONSES,
    NgsiError,
    answer,
    check_request_context,
    negotiate,
)
from api.schemas.ngsi import BAD_REQUEST, HTTP_ERROR, NOT_FOUND, EntityTypeList
from runtime.loop.service import Service
from runtime.ngsi.autonomy import AutonomyCache
from runtime.ngsi.catalogue import Published, live_catalogue
from runtime.ngsi.query import EntityQuery, feature, paging, parse_entity_query, represent, select
from runtime.ngsi.query_language import QueryError
from runtime.ngsi.vocabulary import CATALOGUE_CONTEXT, CATALOGUE_CONTEXT_ID
from runtime.security import Principal

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
_lock = threading.Lock()
PrincipalOrNone = Annotated[Principal | None, Depends(optional_principal)]
AcceptHeader = Annotated[str | None, Header(description="application/json (default), application/ld+json or geo+json")]
LinkHeader = Annotated[str | None, Header(description="A JSON-LD context for the request's terms (optional).")]


def _autonomy(request: Request) -> AutonomyCache:
    """The app's shelter-autonomy cache (created on first use)."""
    with _lock:
        if getattr(request.app.state, "ngsi_autonomy", None) is None:
            request.app.state.ngsi_autonomy = AutonomyCache()
    cache: AutonomyCache = request.app.state.ngsi_autonomy
    return cache


def _caller(principal: Principal | None) -> Principal:
    if principal is None:
        raise NgsiError(
            401, HTTP_ERROR, "Unauthorized", "not authenticated: log in at POST /api/v1/auth/login or send X-API-Key"
        )
    return principal


def _visible(request: Request, svc: Service, principal: Principal, query: EntityQuery) -> list[Published]:
    catalogue = live_catalogue(svc.store, svc.scenario, svc.clock(), _autonomy(request))
    return select(catalogue, query, principal.may_read)


def _simplified(options: str | None, format_: str | None) -> bool:
    chosen = {o.strip() for o in (options or "").split(",") if o.strip()}
    unknown = chosen - {"keyValues", "simplified", "normalized"}
    if unknown:
        raise QueryError(f"options: {sorted(unknown)} not supported; use keyValues or normalized")
    if format_ not in (None, "simplified", "normalized"):
        raise QueryError(f"format: '{format_}' not supported; use simplified or normalized")
    return bool(chosen & {"keyValues", "simplified"}) or format_ == "simplified"


@router.get("/entities", response_model=None, responses={200: {"description": "Entities"}, **PROBLEM_RESPONSES})
def query_entities(
    request: Request,
    svc: ServiceDep,
    principal: PrincipalOrNone,
    type: Annotated[str | None, Query(description="Entity types, comma-separated (any of).")] = None,
    id: Annotated[str | None, Query(description="Entity ids (URNs), comma-separated.")] = None,
    idPattern: Annotated[str | None, Query(description="Regular expression searched in the id.")] = None,  # noqa: N803
    attrs: Annotated[str | None, Query(description="Attributes to return, comma-separated.")] = None,
    q: Annotated[str | None, Query(description='Query, e.g. stateOfCharge>0.5 or category=="school".')] = None,
    limit: Annotated[str | None, Query(description="At most this many entities (default 20, max 1000).")] = None,
    offset: Annotated[str | None, Query(description="Skip this many entities.")] = None,
    count: Annotated[str | None, Query(description="true: NGSILD-Results-Count header.")] = None,
    options: Annotated[str | None, Query(description="keyValues (simplified) or normalized.")] = None,
    format: Annotated[str | None, Query(description="simplified or normalized.")] = None,
    accept: AcceptHeader = None,
    link: LinkHeader = None,
) -> JSONResponse:
    """Query Entities: the entities matching type, id, idPattern, attrs and q, paginated."""
    try:
        media = negotiate(accept)
        check_request_context(link)
        caller = _caller(principal)
        query = parse_entity_query(type, id, idPattern, attrs, q)
        first, skip = paging(limit, offset)
        simplified = _simplified(options, format)
        if count not in (None, "true", "false"):
            raise QueryError(f"count: '{count}' must be true or false")
        matched = _visible(request, svc, caller, query)
    except QueryError as exc:
        return NgsiError(400, BAD_REQUEST, "Bad request data", str(exc)).response()
    except NgsiError as exc:
        return exc.response()
    page = [p.entity for p in matched[skip : skip + first]]
    headers = {"NGSILD-Results-Count": str(len(matched))} if count == "true" else {}
    if media == GEO_JSON:
        features = [feature(e, query.attrs, simplified) for e in page]
        return answer(request, {"type": "FeatureCollection", "features": features}, media, headers)
    body = [represent(e, query.attrs, simplified, with_context=media == JSON_LD) for e in page]
    return answer(request, body, media, headers)


@router.get(
    "/entities/{entity_id}", response_model=None, responses={200: {"description": "The entity"}, **PROBLEM_RESPONSES}
)
def retrieve_entity(
    request: Request,
    svc: ServiceDep,
    principal: PrincipalOrNone,
    entity_id: Annotated[str, Path(max_length=512, description="The entity's id (a URN).")],
    attrs: Annotated[str | None, Query(description="Attributes to return, comma-separated.")] = None,
    options: Annotated[str | None, Query(description="keyValues (simplified) or normalized.")] = None,
    format: Annotated[str | None, Query(description="simplified or normalized.")] = None,
    accept: AcceptHeader = None,
    link: LinkHeader = None,
) -> JSONResponse:
    """Retrieve Entity: one entity by id (404 ResourceNotFound if absent or outside the caller's facility)."""
    try:
        media = negotiate(accept)
        check_request_context(link)
        caller = _caller(principal)
        query = parse_entity_query(id_=entity_id, attrs=None)
        wanted = parse_entity_query(attrs=attrs, require_filter=False).attrs
        simplified = _simplified(options, format)
        found = _visible(request, svc, caller, query)
    except QueryError as exc:
        return NgsiError(400, BAD_REQUEST, "Bad request data", str(exc)).response()
    except NgsiError as exc:
        return exc.response()
    if not found:
        return NgsiError(404, NOT_FOUND, "Resource not found", f"id: no entity '{entity_id}'").response()
    if media == GEO_JSON:
        return answer(request, feature(found[0].entity, wanted, simplified), media)
    return answer(request, represent(found[0].entity, wanted, simplified, with_context=media == JSON_LD), media)


@router.get("/types", response_model=EntityTypeList, responses=PROBLEM_RESPONSES)
def entity_types(request: Request, svc: ServiceDep, principal: PrincipalOrNone) -> JSONResponse:
    """Retrieve Available Entity Types: the types of the entities the caller can see."""
    try:
        caller = _caller(principal)
    except NgsiError as exc:
        return exc.response()
    seen = {p.type: None for p in _visible(request, svc, caller, EntityQuery())}
    body = EntityTypeList(id=f"urn:ngsi-ld:EntityTypeList:{svc.scenario.name}", typeList=list(seen))
    return JSONResponse(body.model_dump())


@router.get("/jsonldContexts/{context_id}", name="ngsi_context", response_model=None, responses=PROBLEM_RESPONSES)
def ngsi_context(context_id: Annotated[str, Path(max_length=64)]) -> JSONResponse:
    """The EMS's JSON-LD context (every Smart Data Model subject it uses, its own terms, the core context); public,
    so a broker or client can fetch it without credentials."""
    if context_id != CATALOGUE_CONTEXT_ID:
        detail = f"contextId: no context '{context_id}'; the EMS serves '{CATALOGUE_CONTEXT_ID}'"
        return NgsiError(404, NOT_FOUND, "Resource not found", detail).response()
    return JSONResponse({"@context": CATALOGUE_CONTEXT}, media_type=JSON_LD)
