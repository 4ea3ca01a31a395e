"""Schemas of the NGSI-LD endpoint (ETSI GS CIM 009): ProblemDetails error bodies and the entity type list.

Entities themselves are open JSON objects (normalized or simplified NGSI-LD); their attributes are those of the
FIWARE Smart Data Models listed in the README, so they are documented there rather than as a fixed schema.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"
BAD_REQUEST = ERROR_BASE + "BadRequestData"
NOT_FOUND = ERROR_BASE + "ResourceNotFound"
CONTEXT_NOT_AVAILABLE = ERROR_BASE + "LdContextNotAvailable"
HTTP_ERROR = "about:blank"
"""RFC 7807's type for an error that means no more than its HTTP status (401, 403, 406)."""


class ProblemDetails(BaseModel):
    """An NGSI-LD error (RFC 7807 ProblemDetails with the NGSI-LD error types)."""

    type: str = Field(description="Error type, e.g. https://uri.etsi.org/ngsi-ld/errors/BadRequestData.")
    title: str = Field(description="Short summary of the error type.")
    detail: str = Field(description="What was wrong and how to fix it (names the parameter).")
    status: int = Field(description="HTTP status code.")


class EntityTypeList(BaseModel):
    """The entity types available to the caller (§5.7.5 Retrieve Available Entity Types)."""

    id: str = Field(description="A URN of this list.")
    type: str = Field("EntityTypeList", description="Always EntityTypeList.")
    typeList: list[str] = Field(description="Entity types (Smart Data Model names).")  # noqa: N815 - NGSI-LD name
