"""The background harvest schedule of ``dskg serve``: each peer with ``every`` is harvested
that often, on one daemon thread, first once right after start."""

from __future__ import annotations

import logging
import threading
import time

from kg.federation.harvest import harvest_peer
from kg.federation.peers import Peer, load_peers
from kg.federation.report import PeerReport
from kg.settings import Settings
from kg.store import Store

log = logging.getLogger("dskg.harvest")


class HarvestScheduler:
    """Runs scheduled harvests until :meth:`stop`. ``last`` holds each peer's latest report."""

    def __init__(self, store: Store, settings: Settings, peers: list[Peer]) -> None:
        self.store = store
        self.settings = settings
        self.peers = [p for p in peers if p.every and p.harvest != "none"]
        self.last: dict[str, PeerReport] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_settings(cls, store: Store, settings: Settings) -> HarvestScheduler:
        return cls(store, settings, load_peers(settings))

    def start(self) -> None:
        if not self.peers or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="dskg-harvest", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)

    def _run(self) -> None:
        due = {p.name: time.monotonic() for p in self.peers}
        while not self._stop.is_set():
            now = time.monotonic()
            for peer in self.peers:
                if self._stop.is_set():
                    return
                if due[peer.name] <= now:
                    self._harvest(peer)
                    assert peer.every is not None
                    due[peer.name] = time.monotonic() + peer.every
            self._stop.wait(max(0.05, min(due.values()) - time.monotonic()))

    def _harvest(self, peer: Peer) -> None:
        try:
            report = harvest_peer(self.store, self.settings, peer)
        except Exception:  # a scheduled harvest must never end the schedule
            log.exception("scheduled harvest of %s failed", peer.name)
            return
        self.last[peer.name] = report
        (log.warning if report.error else log.info)("scheduled harvest: %s", report.to_text())
