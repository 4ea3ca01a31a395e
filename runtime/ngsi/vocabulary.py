"""The vocabulary of the published entities: entity types and their Smart Data Model subjects, the JSON-LD
@context of each entity and of the whole catalogue, the EMS's own terms, and the UN/CEFACT unit codes.

Each entity carries the context of its own Smart Data Model subject (terms such as ``activePower`` mean a
different IRI in each subject), after the Building subject's (for ``refBuilding``), then, where it uses them, the
EMS's own terms as an inline context object, then the NGSI-LD core context. The combined context
(``CATALOGUE_CONTEXT``, served at ``/ngsi-ld/v1/jsonldContexts/yamaguchi-ems``) lists every subject in the
order below; where two subjects define a term, the later one wins there. The vendored context files
(``models/contexts``, unchanged copies of the published ones) give the terms each subject defines.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SDM_CONTEXT_URL = "https://raw.githubusercontent.com/smart-data-models/dataModel.{subject}/master/context.jsonld"
CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
SDM_UNIFIED_CONTEXT_URL = "https://smartdatamodels.org/context.jsonld"
CATALOGUE_CONTEXT_ID = "yamaguchi-ems"
"""The id of the combined context served at /ngsi-ld/v1/jsonldContexts/{id}."""

SUBJECTS = ("Building", "GreenEnergy", "Battery", "Energy", "Transportation")
ENTITY_SUBJECT: dict[str, str] = {
    "Building": "Building",
    "PhotovoltaicDevice": "GreenEnergy",
    "GreenEnergyMeasurement": "GreenEnergy",
    "StorageBatteryDevice": "Battery",
    "StorageBatteryMeasurement": "Battery",
    "ACMeasurement": "Energy",
    "ThreePhaseAcMeasurement": "Energy",
    "EVChargingStation": "Transportation",
    "Vehicle": "Transportation",
}
"""Every entity type the EMS publishes -> the Smart Data Model subject (repository dataModel.<subject>)."""

EMS_VOCABULARY = "urn:yamaguchi-ems:ngsi-ld:"
EMS_TERMS: dict[str, str] = {
    "designatedShelter": EMS_VOCABULARY + "designatedShelter",
    "targetAutonomy": EMS_VOCABULARY + "targetAutonomy",
    "tier1Autonomy": EMS_VOCABULARY + "tier1Autonomy",
    "tier1AutonomyWithFleet": EMS_VOCABULARY + "tier1AutonomyWithFleet",
    "autonomyHorizon": EMS_VOCABULARY + "autonomyHorizon",
    "refVehicle": EMS_VOCABULARY + "refVehicle",
}
"""Terms no Smart Data Model defines (documented in the README): a Building's shelter duty and autonomy in hours
(``tier1Autonomy``: PV + battery only; ``tier1AutonomyWithFleet``: with the EV fleet; ``autonomyHorizon``: the
hours simulated, so a value equal to it means "at least"), and an EV battery's link to its Vehicle."""
USES_EMS_TERMS = frozenset({"Building", "StorageBatteryDevice"})

CORE_TERMS = frozenset(
    {"id", "type", "value", "object", "observedAt", "unitCode", "location", "createdAt", "modifiedAt", "datasetId"}
)
"""NGSI-LD core terms an entity may use without any Smart Data Model context."""

UNIT_KW = "KWT"
UNIT_KWH = "KWH"
UNIT_W = "WTT"
UNIT_HOUR = "HUR"
UNIT_ONE = "C62"
"""UN/CEFACT common codes: kilowatt, kilowatt hour, watt, hour, and 'one' for fractions 0..1 (SoC,
efficiencies: the models bound them to 0..1, so P1 'percent' would misstate them a hundredfold)."""
UNIT_CODES = frozenset({UNIT_KW, UNIT_KWH, UNIT_W, UNIT_HOUR, UNIT_ONE})


def subject_context_url(subject: str) -> str:
    """The published address of a Smart Data Model subject's context."""
    return SDM_CONTEXT_URL.format(subject=subject)


def entity_context(entity_type: str) -> list[str | dict[str, str]]:
    """The @context of an entity of `entity_type` (KeyError naming the type if the EMS does not publish it)."""
    subject = ENTITY_SUBJECT[entity_type]
    context: list[str | dict[str, str]] = []
    if subject != "Building":
        context.append(subject_context_url("Building"))  # refBuilding
    context.append(subject_context_url(subject))
    if entity_type in USES_EMS_TERMS:
        context.append(dict(EMS_TERMS))
    context.append(CORE_CONTEXT_URL)
    return context


SUBJECT_OF_URL = {subject_context_url(s): s for s in SUBJECTS}
CATALOGUE_CONTEXT: list[str | dict[str, str]] = [
    *(subject_context_url(s) for s in SUBJECTS),
    dict(EMS_TERMS),
    CORE_CONTEXT_URL,
]
"""The combined context of every published entity (the Link header of application/json answers)."""


@cache
def subject_terms(subject: str) -> dict[str, str]:
    """term -> IRI of a subject's vendored context (only the string-valued terms and @id of object terms)."""
    text = resources.files("runtime.ngsi").joinpath("models", "contexts", f"dataModel.{subject}.jsonld").read_text()
    raw: dict[str, Any] = json.loads(text)["@context"]
    terms: dict[str, str] = {}
    for term, definition in raw.items():
        iri = definition if isinstance(definition, str) else definition.get("@id")
        if isinstance(iri, str):
            terms[term] = iri
    return terms


@cache
def entity_terms(entity_type: str) -> frozenset[str]:
    """Every attribute name an entity of `entity_type` may carry: its contexts' terms and the core terms."""
    names: set[str] = set(CORE_TERMS)
    for part in entity_context(entity_type):
        if isinstance(part, dict):
            names.update(part)
        elif part in SUBJECT_OF_URL:
            names.update(subject_terms(SUBJECT_OF_URL[part]))
    return frozenset(names)


@cache
def term_for_iri() -> dict[str, str]:
    """Full IRI -> short term over the catalogue context (a later subject wins, as in JSON-LD), so a request
    may name a type or attribute by its IRI (``https://smartdatamodels.org/dataModel.Battery/stateOfCharge``)."""
    reverse: dict[str, str] = {}
    for subject in SUBJECTS:
        reverse.update({iri: term for term, iri in subject_terms(subject).items()})
    reverse.update({iri: term for term, iri in EMS_TERMS.items()})
    reverse.update({f"https://uri.etsi.org/ngsi-ld/{t}": t for t in CORE_TERMS if t not in ("id", "type")})
    return reverse


def compact(name: str) -> str:
    """A type or attribute name as the entities spell it: full IRIs compacted, short names unchanged."""
    return term_for_iri().get(name, name)


def known_request_context(url: str) -> bool:
    """True if a request's Link context is one the EMS can interpret offline (its own, a vendored subject's,
    the Smart Data Models' unified one or an NGSI-LD core context): their terms mean what the entities mean."""
    if url.rstrip("/").endswith(f"/ngsi-ld/v1/jsonldContexts/{CATALOGUE_CONTEXT_ID}"):
        return True
    if url.startswith("https://uri.etsi.org/ngsi-ld/") and "core-context" in url:
        return True
    return url == SDM_UNIFIED_CONTEXT_URL or url in SUBJECT_OF_URL
