"""Federation: peers, harvesting their catalogs, and federated queries.

A node lists its peers in the ``[[peers]]`` tables of ``DSKG_CONFIG``; it harvests their
catalogs into named graphs with provenance (``kg.federation.harvest``) and can run one query
on itself and every peer (``kg.federation.query``). It only ever talks to a configured peer's
servers, and never writes to a peer.
"""

from kg.federation.harvest import graph_prefix, harvest, harvest_peer
from kg.federation.peers import Peer, find_peer, load_peers, parse_every
from kg.federation.query import FederatedResult, SourceStatus, federated_query
from kg.federation.report import HarvestReport, PeerReport, Rejected
from kg.federation.schedule import HarvestScheduler

__all__ = [
    "FederatedResult",
    "HarvestReport",
    "HarvestScheduler",
    "Peer",
    "PeerReport",
    "Rejected",
    "SourceStatus",
    "federated_query",
    "find_peer",
    "graph_prefix",
    "harvest",
    "harvest_peer",
    "load_peers",
    "parse_every",
]
