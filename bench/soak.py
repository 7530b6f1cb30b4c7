"""Reliability soak: kills, load, runaway queries, fuzzing and outbound probes, one table.

    python -m bench.soak            # 20 kills, 50 clients for 60 s, 2000 fuzz inputs
    python -m bench.soak --quick    # 5 kills, 10 clients for 5 s, 300 fuzz inputs

Every part is bounded. Servers are real ``dskg serve`` processes on an on-disk store in a
temporary folder (127.0.0.1 only); the tests in ``tests/test_reliability_*.py`` run the same
parts with smaller numbers.

- kills: SIGKILL a server while writer threads create and replace descriptions over REST, a
  ``dskg load`` of a few hundred descriptions, or a ``dskg harvest``; after each kill the
  store must open, every graph must match its provenance record (``dskg:tripleCount``), and
  every acknowledged write must be there.
- load: async clients mixing SPARQL reads, REST gets and lists, creates, replaces (If-Match,
  so racing editors get the expected 412) and deletes in several data spaces; any other
  status is an error, a reader must never see a half-replaced description, every
  acknowledged write must be found afterwards. Latencies per kind, with the same operation
  called in-process (no HTTP) as the baseline.
- runaway: a cross product stopped by the timeout, another by the result cap, while simple
  queries keep answering.
- fuzz: random and mutated bodies against every write endpoint (in-process app): 5xx count.
- outbound: inputs that name a loopback listener (remote @context, RDF/XML entities, DID,
  owl:imports, SERVICE, LOAD, FROM, harvest redirects...): connections it saw.

The harnesses themselves live in ``harness/`` (node, ledger, crash, load, runaway, fuzz,
outbound), shared with those tests; this module runs them and prints the table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from harness.crash import crash_loop
from harness.fuzz import fuzz_app
from harness.ledger import check_store
from harness.load import OPERATIONS, LoadStats, in_process_baseline, load_soak, percentile
from harness.node import start_server
from harness.outbound import outbound_probes
from harness.runaway import runaway

# -- the table ---------------------------------------------------------------------------
BASELINE_OF = {"hot-read": "get", "hot-replace": "replace"}


def latency_rows(stats: LoadStats, baseline: dict[str, float]) -> list[tuple[str, str, str]]:
    rows = []
    for kind in OPERATIONS:
        samples = stats.latencies.get(kind, [])
        if not samples:
            continue
        p50 = percentile(samples, 0.5)
        base_ms = baseline.get(BASELINE_OF.get(kind, kind))
        ratio = f"; in-process {base_ms:.1f} ms, x{p50 / base_ms:.0f}" if base_ms else ""
        rows.append((f"{kind}: p50 / p95 / p99", f"{p50:.0f} / {percentile(samples, 0.95):.0f}"
                     f" / {percentile(samples, 0.99):.0f} ms (n={len(samples)}{ratio})", ""))
    return rows


def markdown_table(rows: list[tuple[str, str, str]]) -> str:
    """One Markdown table (ready for the README), columns padded for the terminal."""
    header = ("check", "result", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in [header, *rows]]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    kills, clients, seconds, fuzz_inputs = (5, 10, 5.0, 300) if quick else (20, 50, 60.0, 2000)
    timeout = 2.0
    print(f"soak: {kills} kills, {clients} clients for {seconds:g} s, {fuzz_inputs} fuzz "
          "inputs ...", file=sys.stderr)
    crash = crash_loop(kills)
    baseline = in_process_baseline()
    with TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "store", Path(tmp) / "server.log",
                              DSKG_QUERY_TIMEOUT=str(timeout), DSKG_RESULT_LIMIT="10000")
        try:
            load = load_soak(server.base, clients, seconds)
            run_away = runaway(server.base, timeout)
        finally:
            server.terminate()
        after_load = check_store(Path(tmp) / "store", load.ledger)
    fuzz = fuzz_app(fuzz_inputs)
    statuses, connections = outbound_probes()

    stats = load.stats
    errors = sum(stats.errors.values())
    rows = [
        (f"requests served ({clients} clients, {seconds:g} s)",
         f"{stats.requests:,} = {stats.requests / stats.seconds:.0f}/s", ""),
        ("errors other than the expected 409/412", f"{errors}" + "".join(
            f"; {k}: {v}" for k, v in stats.errors.most_common(4)), "0"),
        ("expected 409 / 412 (duplicate create / stale If-Match)",
         f"{stats.expected_conflicts[409]} / {stats.expected_conflicts[412]}", ""),
        *latency_rows(stats, baseline),
        ("writes acknowledged (load) / descriptions found as acknowledged",
         f"{load.ledger.writes_acked} / {load.found} of {load.acked}", "all found"),
        ("half-replaced descriptions seen by readers", str(stats.half_seen), "0"),
        ("after load: graphs vs provenance records", "; ".join(
            [after_load.integrity, *after_load.problems[:2]]), "match"),
        (f"kills survived ({', '.join(f'{k} {v}' for k, v in sorted(crash.by_kind.items()))})",
         f"{crash.survived} / {crash.kills}", "all"),
        ("writes acknowledged (kills) / descriptions found as acknowledged",
         f"{crash.writes} / {crash.found} of {crash.acked}", "all found"),
        ("fuzz inputs tried / 5xx or hang", f"{fuzz.tried} / {len(fuzz.server_errors)} "
         f"(slowest {fuzz.slowest:.1f} s)", "0"),
        ("runaway queries stopped (cap, timeout)", f"{run_away.stopped} / {run_away.sent}; "
         f"simple query p50 {run_away.simple_p50:.0f} ms meanwhile", "all; < 100 ms"),
        ("outbound connections seen", f"{len(connections)} ({len(statuses)} probes)", "0"),
    ]
    print(markdown_table(rows))
    for line in crash.failures + load.lost[:5] + fuzz.server_errors[:5]:
        print("  !", line)


if __name__ == "__main__":
    main(sys.argv[1:])
