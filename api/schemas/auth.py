"""Authentication schemas."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import RequestBody, Schema


class LoginRequest(RequestBody):
    """User name and password."""

    username: str = Field(min_length=1, max_length=64, description="User name.")
    password: str = Field(min_length=1, max_length=256, description="Password.")


class TokenOut(Schema):
    """A bearer token (also set as the ems_session cookie)."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    role: str
    facility_id: str | None = None
    expires_in_s: int


class Me(Schema):
    """The caller."""

    username: str
    role: str
    facility_id: str | None = None
