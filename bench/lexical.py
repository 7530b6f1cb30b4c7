"""What keeping literals as written costs (kg.lexical): the bulk path's scan of the input,
a small write's notes, and a document read's restore, each against the step it adds to,
measured in the same run.

    python -m bench.lexical          # 1k datasets
    python -m bench.lexical 10000

The synthetic ecosystem writes every literal canonically (dates); the "non-canonical" rows
rewrite each date as "YYYY-MM-DD+00:00" (the engine stores "YYYY-MM-DDZ"), so every dataset
gets a note: the worst case.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from functools import partial

import pyoxigraph as ox
from rdflib import URIRef

from bench.common import print_table
from harness.generate import generate
from kg import lexical
from kg.store import memory_store
from kg.write import Origin, write_bytes

_DATE = re.compile(rb'"(\d{4}-\d\d-\d\d)"\^\^<http://www.w3.org/2001/XMLSchema#date>')


def best(work: Callable[[], object], runs: int = 5) -> float:
    """The best of ``runs`` timings, in seconds (the machine is shared: best is steadiest)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _read_all(read: Callable[[URIRef], object], names: list[URIRef]) -> None:
    for name in names:
        read(name)


def bulk_rows(size: int) -> list[list[object]]:
    canonical = generate(size).read_bytes()
    shifted = _DATE.sub(rb'"\1+00:00"^^<http://www.w3.org/2001/XMLSchema#date>', canonical)
    bare = best(lambda: ox.Store().bulk_load(canonical, format=ox.RdfFormat.N_QUADS))
    rows: list[list[object]] = [[size, "bare bulk_load of the N-Quads (in memory)", "-", bare,
                                 1.0]]
    for label, data in (("canonical", canonical), ("non-canonical", shifted)):
        notes = sum(len(n) for n in lexical.input_notes(data, "nquads").values())
        took = best(partial(lexical.input_notes, data, "nquads"))
        rows.append([size, f"bulk path: scan of the input, {label} dates", notes, took,
                     took / bare])
    return rows


def small_rows(size: int) -> list[list[object]]:
    """REST-sized writes (one description each) with and without the notes step, and the
    reads of what they wrote, with and without the restore."""
    data = generate(size).read_bytes()
    shifted = _DATE.sub(rb'"\1+00:00"^^<http://www.w3.org/2001/XMLSchema#date>', data)
    bodies = [line for line in shifted.splitlines(keepends=True)
              if b"/id/dataset/" in line.split(b" ", 1)[0]]
    by_graph: dict[bytes, list[bytes]] = {}
    for line in bodies:
        by_graph.setdefault(line.rsplit(b" ", 2)[-2], []).append(line)
    documents = [b"".join(lines) for lines in list(by_graph.values())[:200]]
    real_notes = lexical.notes

    def write_all(with_notes: bool) -> list[URIRef]:
        lexical.notes = real_notes if with_notes else (lambda _n, _t: [])  # type: ignore
        store = memory_store()
        names = []
        try:
            for document in documents:
                names += write_bytes(store, document, "nquads", base_iri="https://n.example/",
                                     origin=Origin(), validate=False).graphs
        finally:
            lexical.notes = real_notes
        written_stores.append(store)
        return names

    written_stores: list = []
    # Interleaved, best of three each: the machine is shared.
    without_runs, with_runs = [], []
    for _ in range(3):
        without_runs.append(best(lambda: write_all(False), 1))
        with_runs.append(best(lambda: write_all(True), 1))
    without, with_notes = min(without_runs), min(with_runs)
    plain_store, noted_store = written_stores[-2], written_stores[-1]

    def described(store: object) -> list[URIRef]:
        return [n for n in store.graph_names() if "meta" not in str(n)]  # type: ignore

    rows: list[list[object]] = [
        [len(documents), "small writes (one description each), without notes", "-", without,
         1.0],
        [len(documents), "small writes, with notes (every dataset has one)", "-", with_notes,
         with_notes / without]]
    for label, store in (("no notes in the store", plain_store),
                         ("a note in every description", noted_store)):
        names = described(store)
        plain = best(partial(_read_all, store.get_graph, names), 3)
        restored = best(partial(_read_all, partial(lexical.read_description, store), names), 3)
        rows += [[len(names), f"reads, {label}: store.get_graph", "-", plain, 1.0],
                 [len(names), f"reads, {label}: lexical.read_description", "-", restored,
                  restored / plain]]
    return rows


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 1000
    headers = ["items", "step", "notes", "seconds", "x baseline"]
    print(f"Exact literals: the bulk path's input scan vs a bare bulk load ({size:,} datasets)")
    print_table(headers, bulk_rows(size))
    print()
    print("Exact literals: small writes and document reads, with vs without the step")
    print_table(headers, small_rows(size))


if __name__ == "__main__":
    main(sys.argv[1:])
