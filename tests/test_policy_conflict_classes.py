"""The conflict report, kind by kind and class by class (conflict / ambiguous / none), on
small worlds written from the ODRL 2.2 semantics; every reported example is checked with the
evaluator (over the graph, plus the assumed facts of an ambiguous finding)."""

from __future__ import annotations

from rdflib import Graph

from kg.policy.conflicts import find_conflicts
from tests.conflict_support import decide, shows

HEAD = """@prefix ex: <https://example.org/q/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dskg: <https://w3id.org/dskg#> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:space a dskg:DataSpace ; dskg:catalog ex:cat ; dskg:rulebook ex:rb .
ex:cat dcat:dataset ex:d . ex:d a dcat:Dataset ; odrl:hasPolicy ex:offer .
ex:offer a odrl:Offer ; odrl:target ex:d .
ex:rb odrl:hasPolicy ex:rules . ex:rules a odrl:Set ; dskg:tier dskg:ProjectTier .
"""
EX = "https://example.org/q/"


def _report(body: str) -> tuple[Graph, list[dict]]:
    graph = Graph().parse(data=HEAD + body, format="turtle")
    return graph, find_conflicts(graph).to_json()["conflicts"]


def _pairs(findings: list[dict], cls: str = "conflict") -> set[tuple[str, str, str]]:
    return {(f["kind"], f["lower"]["rule"].removeprefix(EX), f["higher"]["rule"].removeprefix(EX))
            for f in findings if f["class"] == cls and "lower" in f}


def _checked(graph: Graph, findings: list[dict]) -> None:
    for finding in findings:
        if "example" in finding:
            assert shows(graph, finding), finding


# -- obligations and duties ------------------------------------------------------------------
def test_an_obligation_to_do_what_a_rule_prohibits() -> None:
    graph, found = _report("""
ex:offer odrl:obligation ex:delete-after . ex:delete-after odrl:action odrl:delete .
ex:rules odrl:prohibition ex:keep . ex:keep odrl:action odrl:delete .
""")
    assert _pairs(found) == {("obligation-prohibited", "delete-after", "keep")}
    example = found[0]["example"]
    assert example["action"] == "http://www.w3.org/ns/odrl/2/delete"
    assert example["dutiesDone"] == ["http://www.w3.org/ns/odrl/2/delete"]
    _checked(graph, found)


def test_a_duty_the_higher_tier_prohibits_only_in_some_places() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:share . ex:share odrl:action odrl:distribute ;
  odrl:duty ex:must-archive . ex:must-archive odrl:action odrl:archive .
ex:rules odrl:prohibition ex:no-archive-abroad . ex:no-archive-abroad odrl:action odrl:archive ;
  odrl:constraint [ odrl:leftOperand odrl:spatial ; odrl:operator odrl:isNoneOf ;
                    odrl:rightOperand "EEA" ] .
""")
    assert _pairs(found) == {("duty-prohibited", "must-archive", "no-archive-abroad")}
    assert found[0]["example"]["spatial"] not in ("DE", "ES", "FR", "NO")
    _checked(graph, found)


def test_a_duty_whose_action_is_prohibited_elsewhere_in_time_is_no_conflict() -> None:
    _, found = _report("""
ex:offer odrl:permission [ odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand
    odrl:dateTime ; odrl:operator odrl:lt ; odrl:rightOperand "2024-01-01"^^xsd:date ] ;
  odrl:duty [ odrl:action odrl:attribute ; odrl:constraint [ odrl:leftOperand odrl:dateTime ;
    odrl:operator odrl:lt ; odrl:rightOperand "2024-01-01"^^xsd:date ] ] ] .
ex:rules odrl:prohibition [ odrl:action odrl:attribute ; odrl:constraint [ odrl:leftOperand
    odrl:dateTime ; odrl:operator odrl:gteq ; odrl:rightOperand "2024-01-01"^^xsd:date ] ] .
""")
    assert found == []


# -- constrained permissions against prohibitions ------------------------------------------
def test_overlapping_constraints_conflict_and_disjoint_ones_do_not() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:few-copies, ex:some-copies .
ex:few-copies odrl:action odrl:reproduce ; odrl:constraint [ odrl:leftOperand odrl:count ;
  odrl:operator odrl:lteq ; odrl:rightOperand 10 ] .
ex:some-copies odrl:action odrl:print ; odrl:constraint [ odrl:leftOperand odrl:count ;
  odrl:operator odrl:lt ; odrl:rightOperand 5 ] .
ex:rules odrl:prohibition ex:many-copies . ex:many-copies odrl:action odrl:use ;
  odrl:constraint [ odrl:leftOperand odrl:count ; odrl:operator odrl:gteq ;
                    odrl:rightOperand 5 ] .
""")
    assert _pairs(found) == {("prohibited", "few-copies", "many-copies")}
    count = float(found[0]["example"]["context"]["http://www.w3.org/ns/odrl/2/count"])
    assert 5 <= count <= 10
    _checked(graph, found)


def test_rules_of_one_policy_void_it_unless_its_strategy_settles_them() -> None:
    body = """
ex:offer odrl:permission ex:read-any ; odrl:prohibition ex:no-read-health .
ex:read-any odrl:action odrl:read .
ex:no-read-health odrl:action odrl:read ; odrl:constraint [ odrl:leftOperand odrl:purpose ;
  odrl:operator odrl:isA ; odrl:rightOperand ex:Health ] .
ex:Cardiology skos:broader ex:Health .
"""
    graph, found = _report(body)
    assert _pairs(found) == {("conflicting", "read-any", "no-read-health")}
    assert decide(graph, found[0]).deciding.status == "void"
    _checked(graph, found)
    _, settled = _report(body + "ex:offer odrl:conflict odrl:prohibit .")
    assert settled == []


def test_offers_are_alternatives_and_a_lower_tier_may_narrow() -> None:
    _, found = _report("""
ex:d odrl:hasPolicy ex:offer2 . ex:offer2 a odrl:Offer ; odrl:target ex:d ;
  odrl:prohibition [ odrl:action odrl:read ] .
ex:offer odrl:prohibition [ odrl:action odrl:distribute ] .
ex:rules odrl:permission [ odrl:action odrl:use ] .
ex:offer2 odrl:permission [ odrl:action odrl:print ] .
ex:offer odrl:permission [ odrl:action odrl:read ] .
""")
    # offer2's prohibition of read does not bind who takes offer; the offers' prohibitions
    # narrow the rulebook's permission (a lower tier may); nothing else overlaps.
    assert _pairs(found) == set()


# -- parties and assets: collections ---------------------------------------------------------
def test_party_collections_that_share_a_member_conflict() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:partners-use . ex:partners-use odrl:action odrl:use ;
  odrl:assignee ex:partners .
ex:rules odrl:prohibition ex:sanctioned-no-use . ex:sanctioned-no-use odrl:action odrl:use ;
  odrl:assignee ex:sanctioned .
ex:partners a odrl:PartyCollection . ex:sanctioned a odrl:PartyCollection .
ex:acme odrl:partOf ex:partners . ex:shadyco odrl:partOf ex:partners, ex:sanctioned .
""")
    assert _pairs(found) == {("prohibited", "partners-use", "sanctioned-no-use")}
    assert found[0]["example"]["assignee"] == EX + "shadyco"
    _checked(graph, found)


def test_party_collections_without_a_known_common_member_are_ambiguous() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:members-use . ex:members-use odrl:action odrl:use ;
  odrl:assignee [ a odrl:PartyCollection ; odrl:source ex:space ] .
ex:rules odrl:prohibition ex:sanctioned-no-use . ex:sanctioned-no-use odrl:action odrl:use ;
  odrl:assignee ex:sanctioned .
ex:sanctioned a odrl:PartyCollection . ex:shadyco odrl:partOf ex:sanctioned .
ex:m1 org:member ex:acme ; org:organization ex:space .
""")
    assert _pairs(found) == set()
    assert _pairs(found, "ambiguous") == {("prohibited", "members-use", "sanctioned-no-use")}
    assumed = {tuple(t) for t in found[0]["assuming"]}
    party = found[0]["example"]["assignee"]
    assert (party, "http://www.w3.org/ns/odrl/2/partOf", EX + "sanctioned") in assumed
    assert any(t[1] == "http://www.w3.org/ns/org#organization" and t[2] == EX + "space"
               for t in assumed)
    _checked(graph, found)
    # over the graph alone the same request is not denied by that prohibition
    plain = dict(found[0], assuming=[])
    assert not shows(graph, plain)


def test_individual_parties_never_conflict() -> None:
    _, found = _report("""
ex:offer odrl:permission [ odrl:action odrl:use ; odrl:assignee ex:alice ] .
ex:rules odrl:prohibition [ odrl:action odrl:use ; odrl:assignee ex:bob ] .
""")
    assert found == []


def test_an_asset_collection_the_dataset_is_part_of() -> None:
    graph, found = _report("""
ex:d odrl:partOf ex:health-records . ex:health-records a odrl:AssetCollection .
ex:cat dcat:dataset ex:e . ex:e a dcat:Dataset ; odrl:hasPolicy ex:offer-e .
ex:offer-e a odrl:Offer ; odrl:target ex:e ; odrl:permission ex:e-use .
ex:e-use odrl:action odrl:use .
ex:offer odrl:permission ex:d-use . ex:d-use odrl:action odrl:use .
ex:rules odrl:prohibition ex:records-closed . ex:records-closed odrl:action odrl:use ;
  odrl:target ex:health-records .
""")
    # only ex:d is in the collection: its offer conflicts, ex:e's does not
    assert _pairs(found) == {("prohibited", "d-use", "records-closed")}
    assert found[0]["example"]["target"] == EX + "d"
    _checked(graph, found)


def test_overlapping_asset_collections() -> None:
    graph, found = _report("""
ex:c1 a odrl:AssetCollection . ex:c2 a odrl:AssetCollection .
ex:d odrl:partOf ex:c1, ex:c2 .
ex:offer odrl:permission [ odrl:action odrl:use ; odrl:target ex:c1 ] ;
  odrl:prohibition [ odrl:action odrl:read ; odrl:target ex:c2 ] .
""")
    assert {k for k, _, _ in _pairs(found)} == {"conflicting"}
    _checked(graph, found)


# -- concepts: isA over instances and narrower concepts ---------------------------------------
def test_is_a_is_answered_by_an_instance_of_both_classes() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:study-use . ex:study-use odrl:action odrl:use ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
                    odrl:rightOperand ex:PublicStudy ] .
ex:rules odrl:prohibition ex:no-trials . ex:no-trials odrl:action odrl:use ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
                    odrl:rightOperand ex:ClinicalTrial ] .
ex:vaccine-trial a ex:ClinicalTrial, ex:PublicStudy .
""")
    assert _pairs(found) == {("prohibited", "study-use", "no-trials")}
    assert found[0]["example"]["purpose"] == EX + "vaccine-trial"
    _checked(graph, found)


def test_unrelated_classes_are_ambiguous_and_excluded_ones_are_not() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:study-use, ex:non-trial-use .
ex:study-use odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand odrl:purpose ;
  odrl:operator odrl:isA ; odrl:rightOperand ex:PublicStudy ] .
ex:non-trial-use odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand odrl:purpose ;
  odrl:operator odrl:isNoneOf ; odrl:rightOperand ex:ClinicalTrial ] .
ex:rules odrl:prohibition ex:no-trials . ex:no-trials odrl:action odrl:use ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
                    odrl:rightOperand ex:ClinicalTrial ] .
""")
    assert _pairs(found) == set()
    assert _pairs(found, "ambiguous") == {("prohibited", "study-use", "no-trials")}
    concept = found[0]["example"]["purpose"]
    assert sorted(t[2] for t in found[0]["assuming"] if t[0] == concept) == [
        EX + "ClinicalTrial", EX + "PublicStudy"]
    _checked(graph, found)


# -- refinements -----------------------------------------------------------------------------
def test_action_refinements_that_overlap_conflict_and_contradicting_ones_do_not() -> None:
    graph, found = _report("""
ex:offer odrl:permission ex:print-low, ex:print-draft .
ex:print-low odrl:action [ rdf:value odrl:print ; odrl:refinement [
  odrl:leftOperand odrl:resolution ; odrl:operator odrl:lteq ; odrl:rightOperand 300 ] ] .
ex:print-draft odrl:action [ rdf:value odrl:print ; odrl:refinement [
  odrl:leftOperand odrl:resolution ; odrl:operator odrl:lt ; odrl:rightOperand 150 ] ] .
ex:rules odrl:prohibition ex:no-print-high . ex:no-print-high odrl:action [ rdf:value
  odrl:print ; odrl:refinement [ odrl:leftOperand odrl:resolution ; odrl:operator odrl:gt ;
  odrl:rightOperand 200 ] ] .
""".replace("rdf:value", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#value>"))
    assert _pairs(found) == {("prohibited", "print-low", "no-print-high")}
    resolution = float(found[0]["example"]["context"][
        "http://www.w3.org/ns/odrl/2/resolution"])
    assert 200 < resolution <= 300
    _checked(graph, found)


def test_contradicting_refinements_within_one_rule_never_apply() -> None:
    _, found = _report("""
ex:offer odrl:permission ex:never . ex:never odrl:action odrl:use ;
  odrl:constraint [ odrl:and ( [ odrl:leftOperand odrl:count ; odrl:operator odrl:lt ;
    odrl:rightOperand 2 ] [ odrl:leftOperand odrl:count ; odrl:operator odrl:gt ;
    odrl:rightOperand 8 ] ) ] .
ex:rules odrl:prohibition [ odrl:action odrl:use ] .
""")
    assert found == []


def test_the_same_conflict_on_many_assets_is_one_finding() -> None:
    datasets = "\n".join(
        f"ex:cat dcat:dataset ex:d{i} . ex:d{i} odrl:hasPolicy ex:o{i} . ex:o{i} a odrl:Offer ;"
        f" odrl:target ex:d{i} ; odrl:permission ex:o{i}-sell . ex:o{i}-sell odrl:action"
        " odrl:sell ." for i in range(6))
    graph, found = _report(datasets + """
ex:rules odrl:prohibition ex:no-sale . ex:no-sale odrl:action odrl:sell .
""")
    assert len(found) == 1 and found[0]["assets"] == 6
    assert len(found[0]["assetSample"]) == 5
    _checked(graph, found)


def test_a_party_refinement_the_graph_cannot_answer_is_ambiguous() -> None:
    body = """
ex:offer odrl:permission ex:members-use . ex:members-use odrl:action odrl:use ;
  odrl:assignee [ a odrl:PartyCollection ; odrl:source ex:space ] .
ex:rules odrl:prohibition ex:no-us . ex:no-us odrl:action odrl:use ; odrl:assignee [
  a odrl:PartyCollection ; odrl:source ex:space ; odrl:refinement [ odrl:leftOperand
  odrl:spatial ; odrl:operator odrl:eq ; odrl:rightOperand "US" ] ] .
ex:m1 org:member ex:acme ; org:organization ex:space . ex:acme dskg:country "DE" .
"""
    graph, found = _report(body)
    assert _pairs(found, "ambiguous") == {("prohibited", "members-use", "no-us")}
    party = found[0]["example"]["assignee"]
    assert [party, "https://w3id.org/dskg#country", {"@value": "US"}] in found[0]["assuming"]
    _checked(graph, found)
    # a member known to be in the US makes it a plain conflict
    graph, found = _report(body + """ex:m2 org:member ex:bigco ; org:organization ex:space .
ex:bigco dskg:country "US" .""")
    assert _pairs(found) == {("prohibited", "members-use", "no-us")}
    assert found[0]["example"]["assignee"] == EX + "bigco"
    _checked(graph, found)


def test_an_asset_refinement_is_ambiguous_only_where_the_graph_is_silent() -> None:
    body = """
ex:offer odrl:permission ex:d-use . ex:d-use odrl:action odrl:use .
ex:rules odrl:prohibition ex:no-csv . ex:no-csv odrl:action odrl:use ; odrl:target [
  a odrl:AssetCollection ; odrl:source ex:cat ; odrl:refinement [ odrl:leftOperand
  odrl:fileFormat ; odrl:operator odrl:eq ; odrl:rightOperand "text/csv" ] ] .
"""
    graph, found = _report(body)
    assert _pairs(found, "ambiguous") == {("prohibited", "d-use", "no-csv")}
    assert found[0]["assuming"] == [
        [EX + "d", "http://purl.org/dc/terms/format", {"@value": "text/csv"}]]
    _checked(graph, found)
    _, found = _report(body + 'ex:d <http://purl.org/dc/terms/format> "application/json" .')
    assert found == []
    graph, found = _report(body + 'ex:d <http://purl.org/dc/terms/format> "text/csv" .')
    assert _pairs(found) == {("prohibited", "d-use", "no-csv")}
    _checked(graph, found)


def test_the_store_report_reads_the_instances_of_the_named_classes() -> None:
    from rdflib import URIRef

    from kg.policy.service import conflicts
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore()
    store.import_quads((HEAD + """
ex:offer odrl:permission ex:study-use . ex:study-use odrl:action odrl:use ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
                    odrl:rightOperand ex:PublicStudy ] .
ex:rules odrl:prohibition ex:no-trials . ex:no-trials odrl:action odrl:use ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
                    odrl:rightOperand ex:ClinicalTrial ] .
ex:vaccine-trial a ex:ClinicalTrial, ex:PublicStudy .
""").encode(), "turtle", to_graph=URIRef("urn:test:classes"))
    found = conflicts(store).to_json()["conflicts"]
    assert _pairs(found) == {("prohibited", "study-use", "no-trials")}
    assert found[0]["example"]["purpose"] == EX + "vaccine-trial"
    store.close()


def test_a_shared_pair_counts_only_the_assets_it_arises_on() -> None:
    graph, found = _report("""
ex:d <http://purl.org/dc/terms/format> "text/csv" .
ex:cat dcat:dataset ex:e . ex:e a dcat:Dataset ; odrl:hasPolicy ex:offer-e ;
  <http://purl.org/dc/terms/format> "application/json" .
ex:offer-e a odrl:Offer ; odrl:target ex:e .
ex:rules odrl:permission ex:use-all ; odrl:prohibition ex:no-csv .
ex:use-all odrl:action odrl:use .
ex:no-csv odrl:action odrl:use ; odrl:target [ a odrl:AssetCollection ; odrl:source ex:cat ;
  odrl:refinement [ odrl:leftOperand odrl:fileFormat ; odrl:operator odrl:eq ;
                    odrl:rightOperand "text/csv" ] ] .
""")
    assert _pairs(found) == {("conflicting", "use-all", "no-csv")}
    assert found[0]["assets"] == 1 and found[0]["assetSample"] == [EX + "d"]
    _checked(graph, found)
