"""One source per table: prefixes and compaction, VALUES blocks, tiers, operator words; and
the harness shared by tests and benchmarks (neither imports the other)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

from kg.namespaces import DCAT, DSKG, ODRL, PREFIXES, compact
from kg.policy import tiers as policy_tiers
from kg.policy.explain import describe
from kg.policy.model import Constraint
from kg.policy.operators import OPERATOR_WORDS, OPERATORS
from kg.store.embedded import EmbeddedStore
from kg.store.sparql_text import values_list
from kg.vocabulary import TIER_BY_IRI, TIER_RANKS, TIERS
from kg.web.labels import Names
from kg.web.policywords import constraint_words

ROOT = Path(__file__).resolve().parent.parent


def test_compact_takes_the_longest_namespace_and_keeps_odd_locals_whole() -> None:
    assert compact(ODRL.use) == "odrl:use"
    assert compact(DSKG.EUTier) == "dskg:EUTier"
    nested = {"a": "https://example.org/", "b": "https://example.org/x/"}
    assert compact("https://example.org/x/y", nested) == "b:y"
    # a "/" in the local part: not a prefixed name, the IRI stays whole
    assert compact("https://example.org/x/y/z", nested) == "https://example.org/x/y/z"
    assert compact(str(DCAT)) == str(DCAT)  # the bare namespace has no local part
    assert set(PREFIXES) >= {"dskg", "odrl", "dcat", "dct"}


def test_values_list_escapes_terms_and_runs_on_the_engine() -> None:
    a, b = URIRef("https://example.org/a"), URIRef("https://example.org/b")
    text = values_list("s", [a, Literal('say "hi"'), BNode("x1")])
    assert text.startswith("VALUES ?s { <https://example.org/a> ")
    assert '"say \\"hi\\""' in text
    with pytest.raises(ValueError):
        values_list("s } DROP ALL {", [a])
    with pytest.raises(ValueError):
        values_list("s", [URIRef("https://example.org/a> } DROP ALL { <x")])
    store = EmbeddedStore()
    store.replace_graphs({URIRef("https://example.org/g"): [
        (a, DSKG.tier, DSKG.EUTier), (b, DSKG.tier, DSKG.NationalTier)]})
    rows = store.query(f"SELECT ?s WHERE {{ {values_list('s', [b])} GRAPH ?g {{ ?s ?p ?o }} }}")
    assert [row[0] for row in rows.rows] == [b]
    empty = store.query(f"SELECT ?s WHERE {{ {values_list('s', [])} GRAPH ?g {{ ?s ?p ?o }} }}")
    assert empty.rows == []


def test_one_tier_table_feeds_the_policy_ranks() -> None:
    assert policy_tiers.RANKS is TIER_RANKS
    assert [t.notation for t in TIERS] == ["eu", "national", "regional", "municipal", "project"]
    assert {DSKG.EUTier: 3, DSKG.NationalTier: 2, DSKG.ProjectTier: 1} == TIER_RANKS
    assert TIER_BY_IRI[DSKG.RegionalTier].broader == DSKG.NationalTier


def test_explanations_and_the_may_i_page_use_the_same_operator_words() -> None:
    assert {str(op).rsplit("/", 1)[-1] for op in OPERATORS} == set(OPERATOR_WORDS)
    payment = Constraint(left=ODRL.payAmount, operator=ODRL.gt, right=(Literal(10),))
    assert describe(payment) == "`odrl:payAmount` is greater than 10"
    assert constraint_words(payment, Names(labels={}, kinds={})) == (
        "for a payment that is greater than 10")


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("tests", {"bench"}), ("bench", {"tests"}), ("harness", {"tests", "bench"}),
    ("kg", {"tests", "bench", "harness"}), ("api", {"tests", "bench", "harness"})])
def test_tests_and_benchmarks_share_the_harness_not_each_other(folder: str,
                                                               forbidden: set[str]) -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(_imported(p) & forbidden)
                 for p in (ROOT / folder).rglob("*.py") if _imported(p) & forbidden}
    assert offenders == {}
