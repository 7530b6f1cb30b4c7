"""Loading into Virtuoso: `dskg load` (validated, journaled, Graph Store POSTs) vs Virtuoso's
own bulk loader (`ld_dir` + `rdf_loader_run` through isql) on the same N-Quads file.

A second pair of rows loads the same ecosystem as a portal exports it, one Turtle file with
every description in the default graph: `dskg load` splits it into descriptions (kg.split);
the baseline is Virtuoso's loader on the same Turtle file.

Each route gets a fresh Virtuoso (Debian's stock configuration, set up as the README says),
one after the other, in the same run.

    python -m bench.engines                  # 100k datasets, N-Quads and the Turtle dump
    python -m bench.engines 1000 10000       # the sizes you name
    python -m bench.engines 10000 dump       # only the single-file dump rows (or: nquads)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_table
from harness.generate import generate, generate_turtle

PASSWORD = "bench-secret"


def _store(server: object) -> object:
    from harness.servers import VIRTUOSO_USER
    from kg.store.remote import EngineCredentials, RemoteStore

    return RemoteStore(server.sparql_auth, gsp_url=server.gsp_auth,  # type: ignore[attr-defined]
                       credentials=EngineCredentials(VIRTUOSO_USER, PASSWORD))


def dskg_load(path: Path) -> tuple[float, int]:
    """As `dskg load` does it: the whole write path, exclusive (journaled bulk route)."""
    from harness.servers import virtuoso_server
    from kg.write import Origin, write_bytes

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


def dskg_load_dump(path: Path) -> tuple[float, int]:
    """As `dskg load` takes a single-file catalog dump: split, validated, journaled."""
    from harness.servers import virtuoso_server
    from kg.split import split_dump, write_dump
    from kg.write import Origin

    base = "http://127.0.0.1:8000/"
    with tempfile.TemporaryDirectory() as folder, virtuoso_server(Path(folder), PASSWORD) as v:
        store = _store(v)
        started = time.perf_counter()
        dump = split_dump(path.read_bytes(), "turtle", base_iri=base)
        assert dump is not None
        done = write_dump(store, dump, base_iri=base,  # type: ignore[arg-type]
                          origin=Origin(agent="cli", activity="load"), exclusive=True)
        seconds = time.perf_counter() - started
        assert len(done.result.created) == len(dump.parts)
        store.close()  # type: ignore[attr-defined]
    return seconds, done.result.triples


def virtuoso_loader(path: Path) -> tuple[float, int]:
    """Virtuoso's bulk loader on the same file (quads keep their graphs; a Turtle file goes
    into one graph)."""
    from harness.servers import virtuoso_server

    name = "load" + path.suffix
    with tempfile.TemporaryDirectory() as folder, virtuoso_server(Path(folder), PASSWORD) as v:
        shutil.copy(path, Path(folder) / name)
        store = _store(v)
        started = time.perf_counter()
        v.isql(f"ld_dir ('{folder}', '{name}', 'http://example.org/dump');\n"
               "rdf_loader_run ();\ncheckpoint;\n", timeout=7200)
        seconds = time.perf_counter() - started
        stored = store.triple_count()  # type: ignore[attr-defined]
        store.close()  # type: ignore[attr-defined]
    return seconds, stored


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv if a.isdigit()] or [100_000]
    kinds = [a for a in argv if not a.isdigit()] or ["nquads", "dump"]
    rows = []
    for size in sizes:
        for kind in kinds:
            path = generate(size) if kind == "nquads" else generate_turtle(size)
            ours_route = dskg_load if kind == "nquads" else dskg_load_dump
            label = ("N-Quads", "dskg load (validated, journaled, GSP)") if kind == "nquads" \
                else ("Turtle dump", "dskg load (split, validated, journaled, GSP)")
            load_before = os.getloadavg()[0]
            native, native_triples = virtuoso_loader(path)
            ours, our_triples = ours_route(path)
            load_after = os.getloadavg()[0]
            rows.append([f"{size:,}", label[0], "Virtuoso ld_dir + rdf_loader_run",
                         native_triples, native, int(native_triples / native), 1.0,
                         f"{load_before:.1f}"])
            rows.append([f"{size:,}", label[0], label[1], our_triples, ours,
                         int(our_triples / ours), ours / native, f"{load_after:.1f}"])
    print("Loading into Virtuoso 7.2: dskg load vs Virtuoso's own bulk loader on the same file")
    print_table(["datasets", "file", "route", "triples", "seconds", "triples/s", "x native",
                 "load avg (1 min)"], rows)


if __name__ == "__main__":
    main(sys.argv[1:])
