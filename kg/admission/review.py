"""What a reviewer reads beside the report: where the new data space would sit in the tiers
(its governance chain drawn with the frameworks the store holds), and for an update the
difference from the admitted version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Dataset, Graph, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from kg.admission.content import MAIN_CLASSES
from kg.admission.records import Submission
from kg.namespaces import DSKG, RDF
from kg.services.context import ServiceContext
from kg.services.documents import locate
from kg.services.governance import CHAIN, governance_chain
from kg.store import memory_store
from kg.store.sparql_text import term_n3, values_list
from kg.web import diagram

MAX_DIFF_LINES = 400


def descriptions_of(submission: Submission) -> dict[URIRef, Graph]:
    """The submission's descriptions as stored in its record: graph name -> triples."""
    dataset = Dataset()
    dataset.parse(data=submission.quads, format="nquads")
    out: dict[URIRef, Graph] = {}
    for context in dataset.graphs():
        if len(context) and isinstance(context.identifier, URIRef) and \
                context.identifier != dataset.default_graph.identifier:
            graph = Graph()
            graph += context
            out[context.identifier] = graph
    return out


def union(graphs: dict[URIRef, Graph]) -> Graph:
    out = Graph()
    for graph in graphs.values():
        out += graph
    return out


def picture(ctx: ServiceContext, submission: Submission) -> dict[str, Any]:
    """The governance chain of the submitted data space, as ``/dataspaces/{id}/governance``
    answers it, computed on a scratch store: the submission and the chain above it."""
    space = URIRef(submission.dataspace or "")
    content = union(descriptions_of(submission))
    path = "|".join(term_n3(p) for p in CHAIN)
    starts = {o for p in CHAIN for o in content.objects(None, p) if isinstance(o, URIRef)}
    scratch = memory_store()
    rows: list = []
    if starts:
        rows = ctx.store.query(
            f"SELECT DISTINCT ?s ?p ?o WHERE {{ {values_list('x', sorted(starts))} "
            f"?x ({path})* ?s . "
            f"?s ?p ?o }}", timeout=ctx.settings.query_timeout).rows
    name = URIRef("urn:dskg:admission:scratch")
    scratch.replace_graphs({name: [*content, *(r for r in rows if None not in r)]})
    chain = governance_chain(ServiceContext(scratch, ctx.settings), space)
    pending = {str(s) for s in content.subjects()}
    for node in chain["nodes"]:
        if node["@id"] in pending:
            node["href"] = None  # not in the graph yet: no page to link to
    return chain


def picture_svg(chain: dict[str, Any]) -> str:
    nodes, edges = diagram.from_chain(chain)
    return diagram.render_svg(nodes, edges, current=chain["@id"],
                              title="Where the data space would sit in the tiers")


@dataclass
class DescriptionDiff:
    root: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    new: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "new": self.new, "added": self.added,
                "removed": self.removed}


def _lines(graph: Graph) -> list[str]:
    text = graph.serialize(format="nt")
    return sorted(line for line in text.splitlines() if line.strip())


def diff(ctx: ServiceContext, submission: Submission) -> list[DescriptionDiff]:
    """Per description of the submission: what it adds to and removes from the admitted
    version (blank nodes compared by structure); descriptions not in the graph are new."""
    out = []
    for name, graph in descriptions_of(submission).items():
        root = main_of(graph)
        located = locate(ctx.store, root) if root is not None else None
        current = ctx.store.get_graph(located.graph) if located is not None else Graph()
        if not len(current):
            out.append(DescriptionDiff(str(root or name), new=True))
            continue
        _both, removed, added = graph_diff(to_isomorphic(current), to_isomorphic(graph))
        if len(removed) or len(added):
            out.append(DescriptionDiff(str(root or name), _lines(added)[:MAX_DIFF_LINES],
                                       _lines(removed)[:MAX_DIFF_LINES]))
    return out


def main_of(graph: Graph) -> URIRef | None:
    """The main resource of one of the submission's descriptions (see ``content.split``)."""
    for cls in MAIN_CLASSES:
        found = sorted(s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef))
        if found:
            return found[0]
    return None


def tier_of(graph: Graph, space: URIRef) -> str | None:
    tier = graph.value(space, DSKG.tier)
    return str(tier) if tier is not None else None
