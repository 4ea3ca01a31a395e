"""/api/v1/auth: log in (token + session cookie), log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from api.routers.deps import COOKIE, PrincipalDep, ServiceDep
from api.schemas.auth import LoginRequest, Me, TokenOut
from api.schemas.common import Message
from runtime import security

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenOut, responses={401: {"model": Message}})
def login(body: LoginRequest, svc: ServiceDep, response: Response) -> TokenOut:
    """Check user name and password; return a bearer token and set it as the session cookie."""
    principal = security.authenticate(svc.store, body.username, body.password)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "username or password is wrong")
    hours = svc.settings.session_hours
    token = security.issue_token(principal, svc.settings.secret_key.get_secret_value(), hours)
    response.set_cookie(COOKIE, token, max_age=int(hours * 3600), httponly=True, samesite="strict")
    return TokenOut(
        access_token=token, role=principal.role, facility_id=principal.facility_id, expires_in_s=int(hours * 3600)
    )


@router.post("/logout", response_model=Message)
def logout(response: Response) -> Message:
    """Clear the session cookie."""
    response.delete_cookie(COOKIE)
    return Message(detail="logged out")


@router.get("/me", response_model=Me, responses={401: {"model": Message}})
def me(principal: PrincipalDep) -> Me:
    """The caller's name, role and facility."""
    return Me(username=principal.username, role=principal.role, facility_id=principal.facility_id)
