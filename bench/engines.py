"""Loading into Virtuoso: `dskg load` (validated, journaled, Graph Store POSTs) vs Virtuoso's
own bulk loader (`ld_dir` + `rdf_loader_run` through isql) on the same N-Quads file.

Each route gets a fresh Virtuoso (Debian's stock configuration, set up as the README says),
one after the other, in the same run.

    python -m bench.engines             # 100k datasets
    python -m bench.engines 1000 10000  # the sizes you name
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_table
from harness.generate import generate

PASSWORD = "bench-secret"


def _store(server: object) -> object:
    from harness.servers import VIRTUOSO_USER
    from kg.store.remote import EngineCredentials, RemoteStore

    return RemoteStore(server.sparql_auth, gsp_url=server.gsp_auth,  # type: ignore[attr-defined]
                       credentials=EngineCredentials(VIRTUOSO_USER, PASSWORD))


def dskg_load(path: Path) -> tuple[float, int]:
    """As `dskg load` does it: the whole write path, exclusive (journaled bulk route)."""
    from harness.servers import virtuoso_server
    from kg.writepath import Origin, write_bytes

    with tempfile.TemporaryDirectory() as folder, virtuoso_server(Path(folder), PASSWORD) as v:
        store = _store(v)
        started = time.perf_counter()
        result = write_bytes(store, path.read_bytes(), "nquads",  # type: ignore[arg-type]
                             base_iri="http://127.0.0.1:8000/",
                             origin=Origin(agent="cli", activity="load"), exclusive=True)
        seconds = time.perf_counter() - started
        stored = store.triple_count()  # type: ignore[attr-defined]
        assert stored >= result.triples, f"{stored} triples stored, {result.triples} loaded"
        store.close()  # type: ignore[attr-defined]
    return seconds, result.triples


def virtuoso_loader(path: Path) -> tuple[float, int]:
    """Virtuoso's bulk loader on the same file (quads keep their graphs)."""
    from harness.servers import virtuoso_server

    with tempfile.TemporaryDirectory() as folder, virtuoso_server(Path(folder), PASSWORD) as v:
        shutil.copy(path, Path(folder) / "load.nq")
        store = _store(v)
        started = time.perf_counter()
        v.isql(f"ld_dir ('{folder}', 'load.nq', 'http://example.org/unused');\n"
               "rdf_loader_run ();\ncheckpoint;\n", timeout=7200)
        seconds = time.perf_counter() - started
        stored = store.triple_count()  # type: ignore[attr-defined]
        store.close()  # type: ignore[attr-defined]
    return seconds, stored


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100_000]
    rows = []
    for size in sizes:
        path = generate(size)
        load_before = os.getloadavg()[0]
        native, native_triples = virtuoso_loader(path)
        ours, our_triples = dskg_load(path)
        load_after = os.getloadavg()[0]
        rows.append([f"{size:,}", "Virtuoso ld_dir + rdf_loader_run", native_triples, native,
                     int(native_triples / native), 1.0, f"{load_before:.1f}"])
        rows.append([f"{size:,}", "dskg load (validated, journaled, GSP)", our_triples, ours,
                     int(our_triples / ours), ours / native, f"{load_after:.1f}"])
    print("Loading N-Quads into Virtuoso 7.2: dskg load vs Virtuoso's own bulk loader")
    print_table(["datasets", "route", "triples", "seconds", "triples/s", "x native",
                 "load avg (1 min)"], rows)


if __name__ == "__main__":
    main(sys.argv[1:])
