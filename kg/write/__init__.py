"""The write path: parse -> normalise -> validate -> commit (or reject, store unchanged).

Every write to the store's descriptions comes through here (CLI ``load``, REST, harvest,
Gaia-X import, admission, the default graph). Import from ``kg.write`` only; the modules
inside are its private parts:

- ``path``: the stages, ``write_bytes`` (parse and commit) -> ``write_descriptions``
  (normalise) -> ``commit`` (validate, review ownership, commit with provenance);
  ``delete_graphs``; ``bulk_write`` (big inputs: staged in memory, validated with SPARQL,
  committed in one go);
- ``describe``: the types (``Description``, ``Origin``, ``WriteResult``, ``Mode``), splitting
  an input into descriptions, normalising them (minted IRIs, graph names);
- ``records``: the provenance records every commit writes in the meta graph;
- ``bulk``: the journaled bulk loader commit of ``dskg load`` and the undoing of a load
  cut short (``recover_interrupted_loads``, run when a process opens the store);
- ``dump``: ``commit_split``, the bulk commit of a split catalog dump (``kg.split``), which
  answers from the split what ``bulk_write`` asks its staging store;
- ``transaction``: ``transaction(store)``, the block that makes a check and its commit
  one step for the writers of this process (services that check before they call
  ``commit``/``delete_graphs`` hold it around both).
"""

from kg.write.bulk import interrupted_loads, recover_interrupted_loads, undo_load
from kg.write.describe import (
    KIND_OF_CLASS,
    Description,
    Mode,
    Origin,
    Triple,
    WriteResult,
    agent_iri,
    graph_iri_for,
    mint_iri,
    normalise,
    slugify,
    split_dataset,
)
from kg.write.dump import commit_split, commit_split_applies
from kg.write.filecheck import FileCheck
from kg.write.path import (
    BULK_BYTES,
    BULK_GRAPHS,
    bulk_write,
    commit,
    delete_graphs,
    record_activity,
    review_ownership,
    validate_descriptions,
    write_bytes,
    write_descriptions,
)
from kg.write.records import update_provenance
from kg.write.transaction import transaction

__all__ = [
    "BULK_BYTES",
    "BULK_GRAPHS",
    "KIND_OF_CLASS",
    "Description",
    "FileCheck",
    "Mode",
    "Origin",
    "Triple",
    "WriteResult",
    "agent_iri",
    "bulk_write",
    "commit",
    "commit_split",
    "commit_split_applies",
    "delete_graphs",
    "graph_iri_for",
    "interrupted_loads",
    "mint_iri",
    "normalise",
    "record_activity",
    "recover_interrupted_loads",
    "review_ownership",
    "slugify",
    "split_dataset",
    "transaction",
    "undo_load",
    "update_provenance",
    "validate_descriptions",
    "write_bytes",
    "write_descriptions",
]
