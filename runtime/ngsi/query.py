"""Query Entities (ETSI GS CIM 009 §5.7.2) over the published catalogue, and the representations of an entity.

Parameters: ``type`` (comma-separated, any of), ``id`` (comma-separated URNs), ``idPattern`` (a regular
expression searched in the id), ``attrs`` (comma-separated: an entity matches if it has at least one, and only
those attributes are returned), ``q`` (``query_language``), ``limit`` (default 20, at most 1000) and ``offset``.
A query needs at least one of type, id, idPattern, attrs or q (BadRequestData otherwise, as the standard says).
Types and attributes may be named by their full IRIs. Representations: normalized (default), simplified
(``options=keyValues`` / ``format=simplified``), with the entity's @context (JSON-LD) or without (JSON, the context
in the Link header), and GeoJSON features (the ``location`` as geometry).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from runtime.ngsi.attributes import Entity, key_values
from runtime.ngsi.catalogue import Published
from runtime.ngsi.query_language import Predicate, QueryError, parse_query
from runtime.ngsi.validate import URN
from runtime.ngsi.vocabulary import compact, entity_context

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
MAX_LIST = 100


@dataclass(frozen=True)
class EntityQuery:
    """A parsed Query Entities request (empty tuples: no filter of that kind)."""

    types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    id_pattern: re.Pattern[str] | None = None
    attrs: tuple[str, ...] = ()
    q: Predicate | None = None

    def matches(self, entity: Entity) -> bool:
        """True if the entity passes every filter."""
        if self.types and entity["type"] not in self.types:
            return False
        if self.ids and entity["id"] not in self.ids:
            return False
        if self.id_pattern is not None and not self.id_pattern.search(str(entity["id"])):
            return False
        if self.attrs and not any(a in entity for a in self.attrs):
            return False
        return self.q is None or self.q(entity)


def _names(parameter: str, text: str | None) -> tuple[str, ...]:
    """A comma-separated list parameter, names compacted (QueryError if empty items or too many)."""
    if text is None:
        return ()
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise QueryError(f"{parameter}: '{text}' has an empty item; separate names with single commas")
    if len(items) > MAX_LIST:
        raise QueryError(f"{parameter}: {len(items)} items; at most {MAX_LIST}")
    return tuple(compact(i) for i in items)


def entity_ids(parameter: str, text: str | None) -> tuple[str, ...]:
    """Comma-separated entity ids, each a URN (QueryError naming the bad one)."""
    ids = _names(parameter, text)
    for entity_id in ids:
        if not URN.match(entity_id):
            raise QueryError(
                f"{parameter}: '{entity_id}' is not a URI (ids look like urn:ngsi-ld:Building:<city>:<id>)"
            )
    return ids


def parse_entity_query(
    type_: str | None = None,
    id_: str | None = None,
    id_pattern: str | None = None,
    attrs: str | None = None,
    q: str | None = None,
    require_filter: bool = True,
) -> EntityQuery:
    """The query of the request's parameters (QueryError naming the parameter)."""
    if require_filter and all(p is None for p in (type_, id_, id_pattern, attrs, q)):
        raise QueryError("type, id, idPattern, attrs or q: give at least one (e.g. type=Building)")
    pattern = None
    if id_pattern is not None:
        try:
            pattern = re.compile(id_pattern)
        except re.error as exc:
            raise QueryError(f"idPattern: not a regular expression: {exc}") from None
    return EntityQuery(
        _names("type", type_),
        entity_ids("id", id_),
        pattern,
        _names("attrs", attrs),
        parse_query(q) if q is not None else None,
    )


def paging(limit: str | None, offset: str | None) -> tuple[int, int]:
    """(limit, offset) from the parameters: limit 0..MAX_LIMIT (default 20), offset ≥ 0 (default 0)."""

    def integer(name: str, text: str | None, default: int, high: int) -> int:
        if text is None:
            return default
        if not re.fullmatch(r"\d{1,9}", text.strip()):
            raise QueryError(f"{name}: '{text}' is not a non-negative integer")
        value = int(text)
        if value > high:
            raise QueryError(f"{name}: {value} is above the maximum {high}")
        return value

    return integer("limit", limit, DEFAULT_LIMIT, MAX_LIMIT), integer("offset", offset, 0, 10**9)


def select(catalogue: Sequence[Published], query: EntityQuery, visible: Callable[[str], bool]) -> list[Published]:
    """The entities of facilities the caller may see (`visible(facility_id)`) that match the query, in order."""
    return [p for p in catalogue if visible(p.facility_id) and query.matches(p.entity)]


def represent(
    entity: Entity, attrs: tuple[str, ...] = (), simplified: bool = False, with_context: bool = False
) -> Entity:
    """The entity as returned: only `attrs` (plus id and type) if given, simplified or normalized, with its
    @context (JSON-LD) or without (JSON)."""
    body = {k: v for k, v in entity.items() if not attrs or k in ("id", "type") or k in attrs}
    if simplified:
        body = key_values(body)
    if with_context:
        body["@context"] = entity_context(str(entity["type"]))
    return body


def feature(entity: Entity, attrs: tuple[str, ...] = (), simplified: bool = False) -> dict[str, Any]:
    """The entity as a GeoJSON Feature: its location as geometry, the other attributes as properties."""
    body = represent(entity, attrs, simplified)
    location = entity.get("location", {})
    geometry = location.get("value") if isinstance(location, dict) else None
    properties = {k: v for k, v in body.items() if k != "id"}
    return {"id": entity["id"], "type": "Feature", "geometry": geometry, "properties": properties}
