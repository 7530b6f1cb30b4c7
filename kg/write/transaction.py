"""The one place that serialises writers in this process.

A write checks, then commits: a create must not find its graph, an If-Match must still
hold, a delete must find no new reference, an ownership review reads the owners it keeps.
Check and commit happen inside one ``transaction(store)`` block, so no other writer of this
process commits in between. The store makes each commit atomic by itself; this block makes
the check and the commit one step. Blocks nest (a service that plans a delete, then calls
``delete_graphs``, holds it once).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kg.store import Store

# One lock for the process, not one per store object: a node has one store, and two
# objects may speak to the same remote engine.
_WRITERS = threading.RLock()


@contextmanager
def transaction(store: Store) -> Iterator[Store]:
    """Hold off every other writer of this process while the block checks and writes
    ``store``; yields the store."""
    with _WRITERS:
        yield store
