"""Shared dependencies of the routers: the service, the caller (token, API key or session cookie), roles."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, Security, status
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.schemas.common import Message
from api.sessions import COOKIE
from runtime import security
from runtime.loop.service import Service
from runtime.security import Principal

bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/login (or an API key).")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key held in the database.")
cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="Session cookie set by the login.")


async def get_service(request: Request) -> Service:
    """The running service."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def _lookup(svc: Service, token: str) -> Principal | None:
    if token.startswith(security.KEY_PREFIX):
        return security.principal_for_api_key(svc.store, token)
    return security.principal_for_session(svc.store, token, svc.settings.secret_key.get_secret_value(), svc.clock())


async def _resolve(svc: Service, token: str) -> Principal | None:
    """The principal of `token`: from the read model when its resolution is fresh, else from the database (in a
    worker thread)."""
    known, principal = svc.reads.cached_principal(token)
    if known:
        return principal
    return await asyncio.to_thread(svc.reads.principal, token, lambda: _lookup(svc, token))


async def optional_principal(
    request: Request,
    svc: ServiceDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    key: Annotated[str | None, Security(api_key_header)],
    session: Annotated[str | None, Security(cookie)],
) -> Principal | None:
    """The caller from the first credential given (bearer, then X-API-Key, then cookie), else None.

    An invalid explicit credential is not rescued by a valid cookie."""
    for token in (creds.credentials if creds else None, key, session):
        if token:
            principal = await _resolve(svc, token)
            request.state.principal = principal  # for the storage-error handler's record of a refused command
            return principal
    return None


async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    """The caller; 401 if not authenticated."""
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not authenticated: log in at POST /api/v1/auth/login or send an API key in X-API-Key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message}}


def require(*roles: str) -> Any:
    """A dependency that allows only `roles` (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role '{principal.role}' may not do this; needs one of {', '.join(roles)}"
            )
        return principal

    return Depends(check)


def check_facility(svc: Service, principal: Principal, facility_id: str) -> None:
    """404 for an unknown facility; 403 if the caller may not see it."""
    if facility_id not in {f.id for f in svc.scenario.facilities}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"facility_id: no facility '{facility_id}'")
    if not principal.may_read(facility_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"facility_id: you may only see '{principal.facility_id}'")


OperatorDep = Annotated[Principal, require("operator")]
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Row id (positive 32-bit integer).")]
