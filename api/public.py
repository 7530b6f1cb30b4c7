"""What public answers may say about the node's insides: no filesystem path, no engine URL.

/health, /ready and /metrics are public (monitors read them without a token), and error
details are read by anyone who sends a request. The store's own description
(``Store.kind``, e.g. ``embedded (/var/lib/dskg/store)``) and messages that quote a path
(``cannot open the store at /srv/...``) stay in the operator's logs and the CLI.
"""

from __future__ import annotations

import re

from kg.settings import Settings
from kg.store import Store

#: Absolute filesystem paths under the usual roots (not a URL's path, which follows "//host"
#: or a word character, and not the node's own routes such as /ui/sparql/download).
_ROOTS = ("home", "var", "tmp", "srv", "opt", "root", "usr", "etc", "mnt", "media", "data",
          "run", "work", "Users", "private", "proc", "dev", "nix", "snap")
_PATH = re.compile(r"(?<![\w.:/~-])/(?:" + "|".join(_ROOTS) + r")(?:/[\w.@+~-]*)+")


def store_label(store: Store) -> str:
    """The kind of store without where it lives: ``embedded``, ``remote SPARQL``."""
    return store.kind.split(" (", 1)[0]


def scrub(text: str, settings: Settings | None) -> str:
    """``text`` with the store's location and any absolute filesystem path replaced."""
    if settings is not None and settings.store and settings.store != "memory":
        text = text.replace(settings.store, "<store>")
    return _PATH.sub("<path>", text)
