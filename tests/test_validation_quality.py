"""Metadata quality scores (data.europa.eu MQA dimensions and points)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from kg.errors import NotFound
from kg.store.embedded import EmbeddedStore
from kg.validation.quality import INDICATORS, MAXIMUM, dataset_quality, dataspace_quality, rating

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EX = "https://example.org/id/"


@pytest.fixture
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    for name in ("good_ecosystem.ttl", "broken_dcat.ttl"):
        store.replace_graphs({URIRef(f"urn:test:{name}"): list(Graph().parse(FIXTURES / name))})
    return store


def points(score: dict) -> dict[str, float]:
    return {i["indicator"]: i["points"] for i in score["indicators"]}


def test_the_indicator_table_adds_up_to_the_mqa_maximum() -> None:
    assert MAXIMUM == 405
    assert [rating(p) for p in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "excellent", "excellent", "good", "good", "sufficient", "sufficient", "bad", "bad"]
    assert len({(i.dimension, i.name) for i in INDICATORS}) == len(INDICATORS)


def test_score_of_a_well_described_dataset(store: EmbeddedStore) -> None:
    score = dataset_quality(store, URIRef(EX + "soil"))
    got = points(score)
    assert got["keywords"] == 0            # no dcat:keyword
    assert got["categories"] == 30
    assert got["access URL"] == 50
    assert got["download URL"] == 0
    assert got["format from vocabulary"] == 10
    assert got["non-proprietary"] == 20    # CSV
    assert got["machine-readable"] == 20
    assert got["DCAT-AP compliance"] == 30
    assert got["licence vocabulary"] == 10
    assert got["publisher"] == 10
    assert got["date of issue"] == 5 and got["modification date"] == 5
    assert score["points"] == sum(got.values())
    assert score["dimensions"]["interoperability"] == {"points": 110.0, "maximum": 110}


def test_violations_cost_the_dcat_ap_points(store: EmbeddedStore) -> None:
    score = dataset_quality(store, URIRef(EX + "sloppy"))
    assert points(score)["DCAT-AP compliance"] == 0
    assert score["points"] < dataset_quality(store, URIRef(EX + "soil"))["points"]


def test_data_space_average(store: EmbeddedStore) -> None:
    score = dataspace_quality(store, URIRef(EX + "agridataspace"))
    assert score["datasets"] == 1
    assert score["points"] == dataset_quality(store, URIRef(EX + "soil"))["points"]
    assert score["label"] == "Agri Data Space"


def test_unknown_dataset_is_not_found(store: EmbeddedStore) -> None:
    with pytest.raises(NotFound):
        dataset_quality(store, URIRef(EX + "farmco"))
