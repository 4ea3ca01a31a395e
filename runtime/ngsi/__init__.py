"""The city data platform (都市OS): the EMS's facilities, devices, EVs and shelter autonomy as NGSI-LD entities
following FIWARE Smart Data Models (ETSI GS CIM 009 normalized form).

Modules: ``vocabulary`` (entity types, their Smart Data Model subjects and @context, the EMS's own terms, unit
codes), ``attributes`` (Property / Relationship / GeoProperty builders, URN ids), ``facility_entities`` and
``fleet_entities`` (pure builders: scenario + live status in, entity dicts out), ``autonomy`` (hours of tier-1
shelter autonomy from the outage façade), ``catalogue`` (every entity of a scenario with the facility each
belongs to), ``query`` (the NGSI-LD query language subset and the representations), ``validate`` (structure,
vendored JSON schemas, context terms) and ``push`` (batch upsert to a context broker on the loop's schedule).
The vendored schemas and contexts are in ``models/`` with their licence (CC BY 4.0) and sources.
"""
