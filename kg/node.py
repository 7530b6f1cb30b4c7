"""A node: the store opened and made ready, the same way for the server and the CLI.

``open_node(settings)`` is the one start-up sequence; its steps run in this order:

1. open the configured store (unless one is given, as tests and benchmarks do);
2. read the token file, so a damaged one stops the start with its position;
3. undo a ``dskg load`` that was killed half-way (``kg.write.recover_interrupted_loads``);
4. migrate a store of an earlier version (``kg.migrate``: graphs, owners);
5. load the default graph on first start (unless the settings or the caller say not to);
6. when serving: start building the text index, and prepare the change feed that learns of
   other processes' writes to a shared engine (a short-lived CLI command needs neither).

``Node.close`` closes the store only when the node opened it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from kg.defaultgraph import load_default_graph
from kg.migrate import migrate
from kg.services.changefeed import ChangeFeed
from kg.services.context import ServiceContext
from kg.services.textindex import text_index_for
from kg.settings import Settings
from kg.store import Store, open_store
from kg.tokens import check_tokens_file
from kg.write import recover_interrupted_loads


@dataclass
class Node:
    """An opened, ready store with its settings (and, when serving, its change feed)."""

    settings: Settings
    store: Store
    owns_store: bool = True
    feed: ChangeFeed | None = None
    context: ServiceContext = field(init=False)

    def __post_init__(self) -> None:
        self.context = ServiceContext(self.store, self.settings)

    def start(self) -> None:
        """Background work of a serving node (the change feed of a shared engine)."""
        if self.feed is not None:
            self.feed.start()

    def stop(self) -> None:
        if self.feed is not None:
            self.feed.stop()

    def close(self) -> None:
        self.stop()
        if self.owns_store:
            self.store.close()


def open_node(settings: Settings, store: Store | None = None, *, load_defaults: bool = True,
              serving: bool = False) -> Node:
    """Open (or take) the store and run the start-up steps of the module doc."""
    node = Node(settings, store if store is not None else open_store(settings),
                owns_store=store is None)
    try:
        _start_up(node, load_defaults=load_defaults, serving=serving)
    except BaseException:
        node.close()
        raise
    return node


def _start_up(node: Node, *, load_defaults: bool, serving: bool) -> None:
    settings, store = node.settings, node.store
    check_tokens_file(settings)
    recover_interrupted_loads(store)
    migrate(store, settings.base_iri)
    if load_defaults and settings.load_default_graph:
        load_default_graph(store, settings.base_iri)
    if not serving:
        return
    index = text_index_for(store, settings)
    if index is not None:
        index.ready()  # built in the background before the first search
    if store.shared_with_other_writers:
        node.feed = ChangeFeed(store, settings.shared_refresh)


@contextmanager
def opened_node(settings: Settings, *, load_defaults: bool = True) -> Iterator[Node]:
    """``open_node`` for the length of a ``with`` block (a CLI command)."""
    node = open_node(settings, load_defaults=load_defaults)
    try:
        yield node
    finally:
        node.close()


__all__ = ["Node", "open_node", "opened_node"]
