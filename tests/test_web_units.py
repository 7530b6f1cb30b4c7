"""The web layer's parts on their own: the diagram, policies in words, the cache, naming."""

from __future__ import annotations

import re

from rdflib import Graph, URIRef

from kg.policy.model import parse_policy
from kg.services import ServiceContext
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from kg.web import diagram
from kg.web.cache import WriteAwareCache, WriteCounter
from kg.web.labels import Names, lookup
from kg.web.policywords import format_duration, rule_words, summarise

EU, NAT, PROJ = ("https://w3id.org/dskg#EUTier", "https://w3id.org/dskg#NationalTier",
                 "https://w3id.org/dskg#ProjectTier")
POLICY = """
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix ex: <https://example.org/> .
ex:offer a odrl:Offer ; odrl:uid ex:offer ; odrl:target ex:data ;
  odrl:permission [ odrl:action odrl:use ; odrl:target ex:data ;
    odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ;
                      odrl:rightOperand ex:research-and-development ] ,
      [ odrl:leftOperand odrl:spatial ; odrl:operator odrl:isPartOf ; odrl:rightOperand "EEA" ] ,
      [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lteq ;
        odrl:rightOperand "2030-12-31"^^<http://www.w3.org/2001/XMLSchema#date> ] ;
    odrl:duty [ odrl:action odrl:attribute ] ] ;
  odrl:prohibition [ odrl:action odrl:sell ; odrl:target ex:data ] .
ex:research-and-development <http://www.w3.org/2004/02/skos/core#prefLabel>
  "Research and development" .
"""


def test_policy_in_plain_words_reads_like_the_issue_example() -> None:
    graph = Graph().parse(data=POLICY, format="turtle")
    policy = parse_policy(graph, URIRef("https://example.org/offer"))
    names = Names({URIRef("https://example.org/research-and-development"):
                   "Research and development"}, {})
    rules = [rule_words(r, graph, names, URIRef("https://example.org/data"))
             for r in policy.rules]
    texts = {r.kind: r.text for r in rules}
    assert texts["permission"] == ("Anyone may use the data for research and development, "
                                   "within the EEA, until 31 Dec 2030, provided they attribute "
                                   "the source.")
    assert texts["prohibition"] == "No one may sell the data."
    assert summarise(rules) == ("May use for research and development, within the EEA, until "
                                "31 Dec 2030; must attribute the source; may not sell")


def test_durations_read_as_words() -> None:
    assert format_duration(URIRef("P1Y6M")) == "1 year, 6 months"
    assert format_duration(URIRef("PT2H")) == "2 hours"


def chain() -> tuple[list[diagram.Node], list[diagram.Edge]]:
    nodes = [diagram.Node("gdpr", "General Data Protection Regulation", "framework", EU,
                          "/resource?iri=gdpr"),
             diagram.Node("law", "Organic Law 3/2018", "framework", NAT, "/law"),
             diagram.Node("space", "Agdatahub data ecosystem", "dataspace", PROJ, "/space"),
             diagram.Node("rules", "Agdatahub rules <&> consent", "rulebook", PROJ, None)]
    edges = [diagram.Edge("space", "law", "subjectTo"), diagram.Edge("law", "gdpr", "subjectTo"),
             diagram.Edge("space", "rules", "rulebook"), diagram.Edge("space", "nowhere", "x")]
    return nodes, edges


def test_the_diagram_puts_tiers_in_rows_broadest_on_top() -> None:
    nodes, edges = chain()
    svg = diagram.render_svg(nodes, edges, current="space")
    rows = re.findall(r'<g class="tier-row" data-tier="(\w+)">', svg)
    assert rows == ["eu", "national", "project"]
    y = {m.group(1): float(m.group(2)) for m in re.finditer(
        r'data-tier="(\w+)" aria-label="[^"]*">.*?<rect x="[\d.]+" y="([\d.]+)"', svg)}
    assert y["eu"] < y["national"] < y["project"]
    assert svg.count('<path class="edge') == 3  # the edge to a missing node is dropped
    assert '<a class="node role-dataspace current" href="/space"' in svg
    assert "Agdatahub rules &lt;&amp;&gt; consent" in svg  # escaped
    assert '<g class="node role-rulebook" data-tier="project">' in svg  # no page: no link


def test_long_rows_wrap_by_kind_of_node() -> None:
    frameworks = [diagram.Node(f"f{i}", f"Framework {i}", "framework", EU) for i in range(7)]
    bodies = [diagram.Node(f"b{i}", f"Body {i}", "authority", EU) for i in range(2)]
    lanes = diagram._lanes(frameworks + bodies)
    assert [len(lane) for lane in lanes] == [5, 2, 2]
    assert all(n.role == "framework" for n in lanes[0] + lanes[1])


def test_labels_wrap_and_long_words_are_cut() -> None:
    assert diagram.wrap("General Data Protection Regulation", 24) == [
        "General Data Protection", "Regulation"]
    lines = diagram.wrap("x" * 100, 24, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")


def test_the_cache_recomputes_after_a_write_or_when_old() -> None:
    counter, now = WriteCounter(), [0.0]
    cache = WriteAwareCache(counter, ttl=60, clock=lambda: now[0])
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("home", compute) == 1
    assert cache.get("home", compute) == 1
    counter.bump()
    assert cache.get("home", compute) == 2
    now[0] = 61.0
    assert cache.get("home", compute) == 3


def test_after_writes_settle_the_cache_recomputes_in_the_background() -> None:
    import time

    counter = WriteCounter()
    cache = WriteAwareCache(counter, settle=0.05)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("home", compute) == 1
    for _ in range(3):  # a burst of writes: one recomputation after it, not three
        counter.bump()
        cache.written()
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert calls == [1, 1]  # recomputed once, without a page asking
    assert cache.get("home", compute) == 2  # the page finds it ready
    assert len(calls) == 2


def test_naming_a_term_repeated_in_many_descriptions_stays_bounded() -> None:
    store = EmbeddedStore()
    licence = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    lines = [f'<{licence}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
             f'<http://purl.org/dc/terms/LicenseDocument> <https://example.org/g{i}> .\n'
             for i in range(300)]
    lines.append(f'<{licence}> <http://www.w3.org/2004/02/skos/core#prefLabel> '
                 f'"Creative Commons Attribution 4.0" <https://example.org/g0> .\n')
    lines += [f'<https://example.org/o{i}> <http://www.w3.org/2004/02/skos/core#prefLabel> '
              f'"Org {i}" <https://example.org/o{i}> .\n' for i in range(40)]
    store.import_quads("".join(lines).encode(), "nquads")
    ctx = ServiceContext(store, Settings(store="memory", load_default_graph=False))
    seen: list[int] = []
    query = store.query

    def counting(sparql: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        result = query(sparql, *args, **kwargs)  # type: ignore[arg-type]
        seen.append(len(result.rows))
        return result

    store.query = counting  # type: ignore[method-assign]
    names = lookup(ctx, [URIRef(licence), *(URIRef(f"https://example.org/o{i}")
                                            for i in range(40))])
    assert names.label(URIRef(licence)) == "Creative Commons Attribution 4.0"
    assert names.label(URIRef("https://example.org/o39")) == "Org 39"
    assert max(seen) < 300  # never one row per description of the licence
    store.close()
