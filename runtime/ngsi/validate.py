"""Validation of published entities, offline: NGSI-LD normalized structure, the Smart Data Model's JSON schema
(vendored in ``models/schemas`` with the common schema they reference), and the context terms.

1. Structure (ETSI GS CIM 009 §4.5): a URN id, a published type, every attribute a Property (with ``value``),
   Relationship (``object``, a URN) or GeoProperty (a GeoJSON Point), ``observedAt`` an ISO 8601 UTC time,
   ``unitCode`` one of the UN/CEFACT codes the EMS uses, no null values.
2. Schema: the entity in key-values form against its model's schema.json (Draft 2020-12, jsonschema), formats
   ``date-time`` and ``uri`` checked (jsonschema leaves them unchecked without optional packages).
3. Terms: every attribute is a term of the entity's @context, so a misspelt name (which the schemas, open to
   extra attributes, would accept) is caught.

``problems(entity)`` returns every problem as "<entity id> <attribute>: <what>" (empty when valid).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from runtime.ngsi.attributes import Entity, key_values
from runtime.ngsi.vocabulary import ENTITY_SUBJECT, UNIT_CODES, entity_terms

URN = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+$")
ATTRIBUTE_TYPES = ("Property", "Relationship", "GeoProperty")
ATTRIBUTE_META = frozenset({"type", "value", "object", "observedAt", "unitCode", "datasetId"})
FORMATS = FormatChecker()


def _date_time(value: object) -> bool:
    """RFC 3339 date-time with a zone (Z or ±hh:mm)."""
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None


def _uri(value: object) -> bool:
    """An absolute URI (scheme:rest)."""
    return not isinstance(value, str) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value) is not None


FORMATS.checks("date-time", raises=ValueError)(_date_time)
FORMATS.checks("uri")(_uri)


def _schema_json(name: str) -> Any:
    return json.loads(resources.files("runtime.ngsi").joinpath("models", "schemas", f"{name}.json").read_text())


@cache
def validator(entity_type: str) -> Draft202012Validator:
    """The JSON-schema validator of a published type (the common schema resolved from the vendored copy)."""
    common = _schema_json("common-schema")
    registry: Registry[Any] = Registry().with_resource(common["$id"], Resource.from_contents(common))
    return Draft202012Validator(_schema_json(entity_type), registry=registry, format_checker=FORMATS)


def _observed_at(value: object) -> str | None:
    if not isinstance(value, str) or not value.endswith("Z"):
        return f"observedAt {value!r} is not an ISO 8601 UTC time ending in Z"
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"observedAt {value!r} is not an ISO 8601 time"
    return None


def _attribute_problems(name: str, attribute: Any) -> list[str]:
    if not isinstance(attribute, dict) or attribute.get("type") not in ATTRIBUTE_TYPES:
        return [f"{name}: not a Property, Relationship or GeoProperty"]
    found: list[str] = []
    kind = attribute["type"]
    if kind == "Relationship" and not (isinstance(attribute.get("object"), str) and URN.match(attribute["object"])):
        found.append(f"{name}: a Relationship needs an object that is a URN")
    if kind != "Relationship" and attribute.get("value") is None:
        found.append(f"{name}: a {kind} needs a non-null value")
    geo = attribute.get("value")
    if kind == "GeoProperty" and not (isinstance(geo, dict) and geo.get("type") == "Point"):
        found.append(f"{name}: a GeoProperty must hold a GeoJSON Point")
    if "observedAt" in attribute and (problem := _observed_at(attribute["observedAt"])):
        found.append(f"{name}: {problem}")
    if "unitCode" in attribute and attribute["unitCode"] not in UNIT_CODES:
        found.append(f"{name}: unitCode {attribute['unitCode']!r} is not one of {sorted(UNIT_CODES)}")
    unknown = sorted(set(attribute) - ATTRIBUTE_META)
    if unknown:
        found.append(f"{name}: unexpected members {unknown}")
    return found


def structure_problems(entity: Entity) -> list[str]:
    """Problems of the normalized NGSI-LD form (see the module docstring)."""
    found: list[str] = []
    if not (isinstance(entity.get("id"), str) and URN.match(entity["id"])):
        found.append(f"id: {entity.get('id')!r} is not a URN")
    if entity.get("type") not in ENTITY_SUBJECT:
        found.append(f"type: {entity.get('type')!r} is not a published type ({sorted(ENTITY_SUBJECT)})")
    for name, attribute in entity.items():
        if name not in ("id", "type", "@context"):
            found += _attribute_problems(name, attribute)
    return found


def schema_problems(entity: Entity) -> list[str]:
    """Problems of the key-values form against the entity type's Smart Data Model schema."""
    plain = {k: v for k, v in key_values(entity).items() if k != "@context"}
    errors = sorted(validator(str(entity["type"])).iter_errors(plain), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(map(str, e.absolute_path)) or '(entity)'}: {e.message}" for e in errors]


def term_problems(entity: Entity) -> list[str]:
    """Attributes that are not terms of the entity's @context."""
    known = entity_terms(str(entity["type"]))
    return [
        f"{name}: not a term of the entity's @context" for name in entity if name != "@context" and name not in known
    ]


def problems(entity: Entity) -> list[str]:
    """Every problem of an entity, each prefixed with its id ("" when valid)."""
    found = structure_problems(entity)
    if entity.get("type") in ENTITY_SUBJECT:
        found += schema_problems(entity) + term_problems(entity)
    return [f"{entity.get('id')} {p}" for p in found]
