"""The whole catalog over the Dataspace Protocol vs the same catalog as DCAT-AP Turtle.

    python -m bench.dsp [N] [--page-size 1000]

Loads N synthetic datasets (harness.generate), serves the node with uvicorn on 127.0.0.1 and
walks every page of ``POST /dsp/catalog/request`` (JSON-LD with the effective offers) and of
``GET /catalog`` (DCAT-AP Turtle, the baseline), following their next links: time to the
first byte of the first page, and total. The first DSP walk is cold (the policies and the
tiers are read from the store then); the second finds them cached.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import httpx
import uvicorn

from bench.common import print_table
from harness.generate import generate
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore

MESSAGE = {"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
           "@type": "CatalogRequestMessage", "filter": []}


def _serve(app: object) -> tuple[str, Callable[[], None]]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,  # type: ignore
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(url + "/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return url, stop


def walk(client: httpx.Client, first: str, method: str) -> tuple[float, float, int, int]:
    """(seconds to the first byte, seconds in all, pages, bytes) following Link/Hydra next."""
    started = time.perf_counter()
    ttfb: float | None = None
    url: str | None = first
    pages = size = 0
    while url:
        kwargs = {"json": MESSAGE} if method == "POST" else {
            "headers": {"Accept": "text/turtle"}}
        with client.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
            assert response.status_code == 200, response.read()[:500]
            body = []
            for chunk in response.iter_bytes():
                if ttfb is None:
                    ttfb = time.perf_counter() - started
                size += len(chunk)
                body.append(chunk)
            pages += 1
            url = response.links.get("next", {}).get("url")
            if url is None and method == "GET":
                url = _hydra_next(b"".join(body))
    return ttfb or 0.0, time.perf_counter() - started, pages, size


def _hydra_next(body: bytes) -> str | None:
    """/catalog pages name their next page in Hydra (``hydra:next <...>``)."""
    import re

    found = re.search(rb"hydra:next\s+<([^>]+)>", body)
    return found.group(1).decode() if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="?", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    from api.app import create_app

    store = EmbeddedStore()
    store.import_quads(generate(args.datasets, seed=42).read_bytes(), "nquads")
    # Whole pages of 1000 datasets: let their queries run (the default 10 s is for users).
    settings = Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                        load_default_graph=False, query_timeout=600)
    url, stop = _serve(create_app(settings, store))
    size = args.page_size
    try:
        with httpx.Client(timeout=600) as client:
            runs = []
            for name, first, method in (
                    ("DCAT-AP Turtle /catalog (baseline)",
                     f"{url}/catalog?page=1&pageSize={size}", "GET"),
                    ("DSP /dsp/catalog/request, cold",
                     f"{url}/dsp/catalog/request?pageSize={size}", "POST"),
                    ("DSP /dsp/catalog/request, warm",
                     f"{url}/dsp/catalog/request?pageSize={size}", "POST")):
                runs.append((name, walk(client, first, method)))
                print(f"{name}: first byte {runs[-1][1][0]:.2f} s, total {runs[-1][1][1]:.2f} s",
                      flush=True)
    finally:
        stop()
    base_first, base_total = runs[0][1][0], runs[0][1][1]
    print(f"{args.datasets:,} datasets, pages of {size}")
    print_table(
        ["catalog", "first byte s", "total s", "pages", "MB", "first byte x", "total x"],
        [[name, first, total, pages, size_ / 1e6, first / base_first, total / base_total]
         for name, (first, total, pages, size_) in runs])


if __name__ == "__main__":
    main()
