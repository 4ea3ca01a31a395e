"""/api/v1/auth: log in (token + session cookie), log out (revokes the session), who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.routers.deps import PrincipalDep, ServiceDep
from api.schemas.auth import LoginRequest, Me, TokenOut
from api.schemas.common import Message
from api.sessions import check_login, close_session, open_session

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=TokenOut,
    responses={401: {"model": Message}, 429: {"model": Message, "description": "Backing off after failed logins."}},
)
def login(body: LoginRequest, svc: ServiceDep, request: Request, response: Response) -> TokenOut:
    """Check user name and password; return a bearer token of a new server-side session and set it as the
    session cookie. Failed logins back off per account and per client address (429 with Retry-After)."""
    principal = check_login(svc, request, body.username, body.password)
    token = open_session(svc, request, response, principal)
    hours = svc.settings.session_hours
    return TokenOut(
        access_token=token, role=principal.role, facility_id=principal.facility_id, expires_in_s=int(hours * 3600)
    )


@router.post("/logout", response_model=Message)
def logout(svc: ServiceDep, request: Request, response: Response) -> Message:
    """Revoke the caller's session (bearer token or cookie): the token stops working at once."""
    revoked = close_session(svc, request, response)
    return Message(detail="logged out" if revoked else "no session to end")


@router.get("/me", response_model=Me, responses={401: {"model": Message}})
def me(principal: PrincipalDep) -> Me:
    """The caller's name, role and facility."""
    return Me(username=principal.username, role=principal.role, facility_id=principal.facility_id)
