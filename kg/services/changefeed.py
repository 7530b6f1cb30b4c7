"""Writes made by other processes on a shared remote engine, told to this process's caches.

Several ``dskg serve`` processes behind a load balancer share one engine. Each process
learns of its own writes from the store's change events; this feed learns of the others'
from the engine itself: every write path leaves a timestamp in the meta graph (a
description's ``prov:generatedAtTime``, a deletion's ``prov:invalidatedAtTime``, a bulk
load's ``prov:endedAtTime``). Every ``interval`` seconds (``DSKG_SHARED_REFRESH``) the feed
asks for the timestamps of the last ``LOOKBACK`` seconds and reports the graphs it had not
seen through ``Store.changed``: the text index re-reads them before its next search, the web
pages' caches recompute. A write in one process is so in the others' searches within
``interval`` seconds (plus one poll's duration). A bulk load makes every listener start
over (its graphs are too many to name). Writes whose timestamps are older than the
lookback when they commit (a load validated for minutes) are caught by the text index's
periodic rebuild (``kg.services.textindex.SHARED_REFRESH``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from rdflib import Literal, URIRef

from kg.namespaces import META_GRAPH, PROV, XSD
from kg.store.base import Store
from kg.store.sparql_text import term_n3

#: How far back each poll looks (seconds): covers clock skew between nodes and the time
#: between a record's timestamp and its commit.
LOOKBACK = 120.0
log = logging.getLogger("dskg.changes")


class ChangeFeed:
    """Polls ``store`` for other processes' writes (see the module doc)."""

    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._seen: set[tuple[URIRef, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> frozenset[URIRef] | None:
        """One look at the engine; reports what changed and returns it (None: start over,
        an empty set: nothing new)."""
        since = Literal((datetime.now(UTC) - timedelta(seconds=LOOKBACK)).isoformat(),
                        datatype=XSD.dateTime)
        meta = term_n3(URIRef(META_GRAPH))
        made, gone, ended = (term_n3(p) for p in (PROV.generatedAtTime, PROV.invalidatedAtTime,
                                                  PROV.endedAtTime))
        rows = self.store.query(
            f"SELECT ?g ?t ?load WHERE {{ GRAPH {meta} {{ {{ ?g {made} ?t }} UNION "
            f"{{ ?g {gone} ?t }} UNION {{ ?g {ended} ?t BIND(true AS ?load) }} }} "
            f"FILTER(?t >= {term_n3(since)}) }}").rows
        current = {(g, str(t)) for g, t, _load in rows if isinstance(g, URIRef)}
        new = current - self._seen
        self._seen = current
        if any(load is not None and (g, str(t)) in new for g, t, load in rows):
            self.store.changed(None)
            return None
        graphs = frozenset(g for g, _t in new)
        if graphs:
            self.store.changed(graphs)
        return graphs

    def start(self) -> None:
        if self._thread is not None:
            return
        try:
            self.poll()  # what is already there is not news: only remember it
        except Exception as exc:
            log.warning("the change feed could not read the engine: %s", exc)
        self._thread = threading.Thread(target=self._run, daemon=True, name="dskg-changes")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # the engine away for a while: try again next time
                log.warning("the change feed could not read the engine: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 5)
            self._thread = None
