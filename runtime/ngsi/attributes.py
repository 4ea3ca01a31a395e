"""NGSI-LD normalized attributes (ETSI GS CIM 009 §4.5): Property, Relationship, GeoProperty, DateTime values and
the URN ids of the entities. Pure functions; timestamps must be tz-aware and are written in UTC with 'Z'.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

Entity = dict[str, Any]
"""One NGSI-LD entity in normalized form (id, type, attributes; @context only in the JSON-LD representation)."""


def iso_z(ts: dt.datetime) -> str:
    """ISO 8601 UTC with milliseconds and 'Z' (e.g. 2024-06-10T03:10:00.000Z); ValueError for a naive time."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"observedAt: {ts.isoformat()} has no time zone; pass tz-aware datetimes (UTC stored)")
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.astimezone(dt.UTC).microsecond // 1000:03d}Z"


def urn(entity_type: str, namespace: str, *parts: str) -> str:
    """The entity id ``urn:ngsi-ld:<Type>:<namespace>:<part>[:<part>]`` (namespace: the scenario, e.g. yamaguchi).

    Scenario ids are ``[a-z0-9_-]`` (``scenarios.assets.IDENTIFIER``), all valid in a URN's specific string."""
    return ":".join(("urn:ngsi-ld", entity_type, namespace, *parts))


def prop(value: Any, unit_code: str | None = None, observed_at: dt.datetime | None = None) -> dict[str, Any]:
    """A Property; `unit_code` a UN/CEFACT code (KWT, KWH, ...), `observed_at` when the value was measured."""
    attribute: dict[str, Any] = {"type": "Property", "value": value}
    if unit_code is not None:
        attribute["unitCode"] = unit_code
    if observed_at is not None:
        attribute["observedAt"] = iso_z(observed_at)
    return attribute


def datetime_prop(ts: dt.datetime) -> dict[str, Any]:
    """A Property whose value is a DateTime (``{"@type": "DateTime", "@value": "...Z"}``)."""
    return {"type": "Property", "value": {"@type": "DateTime", "@value": iso_z(ts)}}


def rel(object_id: str) -> dict[str, Any]:
    """A Relationship to the entity `object_id` (a URN)."""
    return {"type": "Relationship", "object": object_id}


def geo_point(longitude: float, latitude: float) -> dict[str, Any]:
    """A GeoProperty holding a GeoJSON Point; GeoJSON orders coordinates longitude first (degrees E, N)."""
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [longitude, latitude]}}


def plain_value(attribute: Any) -> Any:
    """The simplified (keyValues) value of a normalized attribute: a Property's value (a DateTime's @value), a
    Relationship's object, a GeoProperty's GeoJSON; anything else unchanged."""
    if not isinstance(attribute, dict):
        return attribute
    kind = attribute.get("type")
    if kind == "Relationship":
        return attribute.get("object")
    if kind in ("Property", "GeoProperty"):
        value = attribute.get("value")
        if isinstance(value, dict) and value.get("@type") == "DateTime":
            return value.get("@value")
        return value
    return attribute


def key_values(entity: Entity) -> Entity:
    """The entity in the simplified representation (id, type and each attribute's plain value)."""
    return {
        name: (value if name in ("id", "type", "@context") else plain_value(value)) for name, value in entity.items()
    }
