"""Pure functions from one vendor payload to canonical records, and cross-system identity.

No network, no database, no clock, no environment: payload in, records out.

    map_payload("stripe", "invoice", payload, read_at=now)  -> [Invoice(...)]
    resolve_parties(parties)                                -> [IdentityLink(...)]
"""

from mappings.errors import MappingError
from mappings.identity import party_clusters, resolve_parties
from mappings.registry import map_payload, objects_for, record_type_of

__all__ = [
    "MappingError",
    "map_payload",
    "objects_for",
    "party_clusters",
    "record_type_of",
    "resolve_parties",
]
