"""W3C ORG: org:memberDuring takes a time:Interval (ORG's own range) as well as a
dct:PeriodOfTime (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kg.validation import validate_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dskg: <https://w3id.org/dskg#> .
@prefix ex: <https://example.org/id/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
MEMBERSHIP = """
ex:m-time a org:Membership ; org:member ex:farmco ; org:organization ex:agridataspace ;
    org:role dskg:DataProvider ; org:memberDuring ex:when .
"""


def violations_about_membership(period: str) -> list[str]:
    graph = Graph().parse(FIXTURES / "good_ecosystem.ttl")
    graph.parse(data=PREFIXES + MEMBERSHIP + period, format="turtle")
    report = validate_graph(graph)
    return sorted(str(r.component).split("#")[1] for r in report.results
                  if r.severity == "Violation"
                  and str(r.focus) in ("https://example.org/id/m-time",
                                       "https://example.org/id/when"))


@pytest.mark.parametrize("period", [
    # W3C ORG section 6, as the specification models it
    """ex:when a time:Interval ;
        time:hasBeginning [ a time:Instant ;
            time:inXSDDateTime "2021-01-01T00:00:00Z"^^xsd:dateTime ] ;
        time:hasEnd [ a time:Instant ;
            time:inXSDDateTime "2023-06-30T00:00:00Z"^^xsd:dateTime ] .""",
    """ex:when a time:Interval ;
        time:hasBeginning [ time:inXSDDate "2021-01-01"^^xsd:date ] .""",
    """ex:when a dct:PeriodOfTime ; dcat:startDate "2021-01-01"^^xsd:date .""",
])
def test_interval_and_period_are_both_accepted(period: str) -> None:
    assert violations_about_membership(period) == []


@pytest.mark.parametrize("period, component", [
    ("""ex:when a time:Interval ;
        time:hasBeginning [ time:inXSDDateTime "2024-01-01T00:00:00Z"^^xsd:dateTime ] ;
        time:hasEnd [ time:inXSDDateTime "2023-01-01T00:00:00Z"^^xsd:dateTime ] .""",
     "SPARQLConstraintComponent"),
    ("""ex:when a time:Interval ; time:hasBeginning [ time:inXSDDate "soon" ] .""",
     "NodeConstraintComponent"),
    ("""ex:when a ex:Something ; dcat:startDate "2021-01-01"^^xsd:date .""",
     "OrConstraintComponent"),
])
def test_broken_intervals_are_reported(period: str, component: str) -> None:
    assert component in violations_about_membership(period)
