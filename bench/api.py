"""REST latency and throughput at scale, against the same reads done without HTTP.

    python -m bench.api                # 100k datasets
    python -m bench.api 10000 100000   # the sizes you name

For each size: a synthetic ecosystem (``harness.generate``) is loaded once into an on-disk
store (kept in /tmp for the next run). In this process, on that store, the baselines: the
raw store call and the service-layer call (``kg.services``, no HTTP). Then the store is
closed and served by uvicorn in a child process; httpx clients on loopback measure

- GET one dataset (JSON-LD),
- GET a filtered list (``/datasets?dataspace=...&limit=20``, with its total),
- POST a new dataset description (parse, SHACL validation, commit with provenance),

with 1 and with 16 concurrent clients: median and p95 latency, and throughput. Server and
clients share the machine's cores, so the 16-client figures include that contention.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.common import median_ms, p95_ms, print_table
from harness.generate import ID, generate

BASE_IRI = "http://127.0.0.1:8000/"
TOKEN = "bench-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
SEED = 42
RUNS = {"get": 300, "list": 200, "post": 40}
CLIENTS = (1, 16)


def dataset_body(n: str, publisher: str, catalog: str) -> str:
    return f"""@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<{n}> a dcat:Dataset ;
    dct:title "Benchmark dataset {n}"@en ;
    dct:description "Posted by bench.api."@en ;
    dct:publisher <{publisher}> ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TECH> ;
    dcat:distribution <../distribution/bench-{n}> ;
    odrl:hasPolicy <../policy/offer-bench-{n}> .
<../distribution/bench-{n}> a dcat:Distribution ;
    dcat:accessURL <https://data.example.org/bench/{n}> .
<../policy/offer-bench-{n}> a odrl:Offer ; odrl:uid <../policy/offer-bench-{n}> ;
    odrl:assigner <{publisher}> ; odrl:permission [ odrl:action odrl:use ] .
<{catalog}> dcat:dataset <{n}> .
"""


def build_store(n: int) -> Path:
    """The on-disk store holding ``n`` synthetic datasets (built once, then reused)."""
    from kg.store.embedded import EmbeddedStore

    folder = Path(f"/tmp/dskg-bench-api-{n}-{SEED}")
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    source = generate(n, SEED)
    started = time.perf_counter()
    store = EmbeddedStore(folder)
    with source.open("rb") as data:
        store.import_quads(data, "nquads")
    store.close()
    print(f"loaded {n:,} datasets into {folder} in {time.perf_counter() - started:.0f} s",
          flush=True)
    (folder / ".complete").write_text("ok")
    return folder


def sizes(n: int) -> tuple[int, int]:
    """(organisations, data spaces) of a generated ecosystem (as harness.generate makes them)."""
    return max(10, n // 10), max(3, n // 1000)


def timed(call: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


class Workload:
    """The three operations' inputs: random datasets and data spaces, new descriptions."""

    def __init__(self, n: int, tag: str) -> None:
        from kg.services.ids import IdMapper
        from kg.services.kinds import KINDS

        self.n = n
        self.orgs, self.spaces = sizes(n)
        self.rng = random.Random(SEED)
        self.ids = IdMapper(BASE_IRI)
        self.kind = KINDS["datasets"]
        self.tag = tag
        self.posted = 0
        self.lock = threading.Lock()

    def dataset(self) -> str:
        return f"{ID}dataset/{self.rng.randrange(self.n)}"

    def space(self) -> str:
        return f"{ID}dataspace/{self.rng.randrange(self.spaces)}"

    def post_body(self) -> tuple[str, str]:
        """(slug, Turtle) of a new dataset, unique across runs (the store is reused)."""
        with self.lock:
            self.posted += 1
            number = self.posted
        space = number % self.spaces
        slug = f"{self.tag}-{number}"
        return slug, dataset_body(slug, f"{ID}organisation/{space}", f"{ID}catalog/{space}")


def baselines(n: int, folder: Path) -> dict[str, dict[str, list[float]]]:
    """The store calls and the service calls, in this process, without HTTP."""
    from rdflib import URIRef

    from kg.auth import Principal
    from kg.rdfio import parse_graph
    from kg.services import Filters, ServiceContext, create, get_resource, list_resources
    from kg.services.documents import serialize
    from kg.services.kinds import KINDS
    from kg.services.listing import PREFIXES, SORT_LIMIT, bindings_for, where_clause
    from kg.settings import Settings
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(folder)
    ctx = ServiceContext(store, Settings(store=str(folder), base_iri=BASE_IRI))
    work = Workload(n, f"direct-{time.time_ns()}")
    kind = KINDS["datasets"]
    admin = Principal(subject="bench", role="admin")

    def store_get() -> None:
        store.get_graph(URIRef(work.dataset()))

    def service_get() -> None:
        iri = work.dataset()
        document = get_resource(ctx, kind, ctx.ids.to_id(iri, kind))
        serialize(document.graph, "json-ld", document.iri)

    def store_list() -> None:
        # the service's two queries (total, page), without the per-item summaries
        filters = Filters(dataspace=work.space())
        where, bound = where_clause(kind, filters), bindings_for(ctx, filters)
        count = store.query(f"{PREFIXES}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}",
                            bound)
        order = "ORDER BY ?s" if int(count.rows[0][0]) <= SORT_LIMIT else ""  # type: ignore
        store.query(f"{PREFIXES}SELECT DISTINCT ?s WHERE {{ {where} }} {order} LIMIT 20", bound)

    def service_list() -> None:
        list_resources(ctx, kind, Filters(dataspace=work.space()), limit=20)

    def store_post() -> None:
        slug, body = work.post_body()
        graph = parse_graph(body.encode(), "turtle", f"{BASE_IRI}id/dataset/")
        store.replace_graphs({URIRef(f"{BASE_IRI}id/dataset/bench-{slug}"): list(graph)})

    def service_post() -> None:
        create(ctx, admin, kind, work.post_body()[1].encode(), "text/turtle")

    service_post()  # warm-up: loads the shapes once
    out = {
        "get": {"store": timed(store_get, RUNS["get"]), "service": timed(service_get,
                                                                          RUNS["get"])},
        "list": {"store": timed(store_list, RUNS["list"]),
                 "service": timed(service_list, RUNS["list"])},
        "post": {"store": timed(store_post, RUNS["post"]),
                 "service": timed(service_post, RUNS["post"])},
    }
    store.close()
    return out


def serve(folder: str, port: str) -> None:
    """Child process: uvicorn on the store (``python -m bench.api serve FOLDER PORT``)."""
    import uvicorn

    from api.app import create_app
    from kg.settings import Settings

    settings = Settings(store=folder, admin_token=TOKEN, base_iri=BASE_IRI,
                        load_default_graph=False)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=int(port), log_level="warning")


def run_clients(base: str, name: str, call: Callable[[httpx.Client], httpx.Response],
                clients: int, per_client: int) -> tuple[list[float], float]:
    """``clients`` threads, each with its own connection, each making ``per_client`` calls."""
    samples: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client_loop() -> None:
        mine = []
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(per_client):
                started = time.perf_counter()
                response = call(client)
                mine.append(time.perf_counter() - started)
                if response.status_code >= 300:
                    failures.append(f"{name}: {response.status_code} {response.text[:300]}")
                    return
        with lock:
            samples.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    return samples, time.perf_counter() - started


def over_http(n: int, base: str, clients: int) -> dict[str, tuple[list[float], float]]:
    """Latencies and wall time of each operation with ``clients`` concurrent clients."""
    work = Workload(n, f"http{clients}-{time.time_ns()}")
    operations: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "get": lambda c: c.get(f"/datasets/{work.ids.to_id(work.dataset(), work.kind)}"),
        "list": lambda c: c.get("/datasets", params={"dataspace": work.space(), "limit": 20}),
        "post": lambda c: c.post("/datasets", content=work.post_body()[1], headers=AUTH),
    }
    return {name: run_clients(base, name, call, clients, max(1, RUNS[name] // clients))
            for name, call in operations.items()}


def run_size(n: int) -> list[list[object]]:
    from harness.servers import free_port, wait_until_up

    folder = build_store(n)
    base_samples = baselines(n, folder)
    port = free_port()
    child = subprocess.Popen([sys.executable, "-m", "bench.api", "serve", str(folder), str(port)],
                             env={**os.environ, "PYTHONPATH": os.getcwd()})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/health", timeout=120)
        with httpx.Client(base_url=base, timeout=120) as warm:  # shapes, caches
            warm.post("/datasets", content=Workload(n, f"warm-{time.time_ns()}").post_body()[1],
                      headers=AUTH)
        http = {clients: over_http(n, base, clients) for clients in CLIENTS}
    finally:
        child.terminate()
        child.wait(30)
    rows: list[list[object]] = []
    labels = {"get": "GET one dataset", "list": "GET list, filtered", "post": "POST dataset"}
    for name, label in labels.items():
        store_ms = median_ms(base_samples[name]["store"])
        service_ms = median_ms(base_samples[name]["service"])
        rows.append([f"{n:,}", label, "store (no HTTP)", store_ms, p95_ms(
            base_samples[name]["store"]), 1000 / store_ms, 1.0])
        rows.append([f"{n:,}", label, "service (no HTTP)", service_ms, p95_ms(
            base_samples[name]["service"]), 1000 / service_ms, service_ms / store_ms])
        for clients in CLIENTS:
            samples, wall = http[clients][name]
            rows.append([f"{n:,}", label, f"HTTP, {clients} client{'s' * (clients > 1)}",
                         median_ms(samples), p95_ms(samples), len(samples) / wall,
                         statistics.median(samples) * 1000 / store_ms])
    return rows


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve(argv[1], argv[2])
        return
    counts = [int(a) for a in argv] or [100_000]
    rows: list[list[object]] = []
    for n in counts:
        rows += run_size(n)
    print()
    print_table(["datasets", "operation", "path", "median ms", "p95 ms", "req/s",
                 "x store"], rows)


if __name__ == "__main__":
    main(sys.argv[1:])
