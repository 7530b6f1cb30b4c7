"""A seeded generator of synthetic ecosystems, shaped like the default graph.

Frameworks at the EU and national tiers, data spaces (with authority, rulebook, catalog,
rulebook policy), organisations, memberships, and datasets with a distribution and an ODRL
offer. One named graph per description, written as N-Quads.

    python -m bench.generate 10000 out.nq     # the command line (bench/generate.py)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

ID = "https://w3id.org/dskg/synthetic/id/"
DSKG = "https://w3id.org/dskg#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
P = {
    "label": "<http://www.w3.org/2004/02/skos/core#prefLabel>",
    "name": "<http://xmlns.com/foaf/0.1/name>",
    "title": "<http://purl.org/dc/terms/title>",
    "description": "<http://purl.org/dc/terms/description>",
    "identifier": "<http://purl.org/dc/terms/identifier>",
    "publisher": "<http://purl.org/dc/terms/publisher>",
    "source": "<http://purl.org/dc/terms/source>",
    "issued": "<http://purl.org/dc/terms/issued>",
    "format": "<http://purl.org/dc/terms/format>",
    "license": "<http://purl.org/dc/terms/license>",
    "tier": f"<{DSKG}tier>",
    "country": f"<{DSKG}country>",
    "subjectTo": f"<{DSKG}subjectTo>",
    "governedBy": f"<{DSKG}governedBy>",
    "rulebook": f"<{DSKG}rulebook>",
    "catalog": f"<{DSKG}catalog>",
    "theme": "<http://www.w3.org/ns/dcat#theme>",
    "keyword": "<http://www.w3.org/ns/dcat#keyword>",
    "dataset": "<http://www.w3.org/ns/dcat#dataset>",
    "distribution": "<http://www.w3.org/ns/dcat#distribution>",
    "accessURL": "<http://www.w3.org/ns/dcat#accessURL>",
    "mediaType": "<http://www.w3.org/ns/dcat#mediaType>",
    "contactPoint": "<http://www.w3.org/ns/dcat#contactPoint>",
    "fn": "<http://www.w3.org/2006/vcard/ns#fn>",
    "hasEmail": "<http://www.w3.org/2006/vcard/ns#hasEmail>",
    "hasPolicy": "<http://www.w3.org/ns/odrl/2/hasPolicy>",
    "uid": "<http://www.w3.org/ns/odrl/2/uid>",
    "assigner": "<http://www.w3.org/ns/odrl/2/assigner>",
    "target": "<http://www.w3.org/ns/odrl/2/target>",
    "inheritFrom": "<http://www.w3.org/ns/odrl/2/inheritFrom>",
    "permission": "<http://www.w3.org/ns/odrl/2/permission>",
    "prohibition": "<http://www.w3.org/ns/odrl/2/prohibition>",
    "action": "<http://www.w3.org/ns/odrl/2/action>",
    "constraint": "<http://www.w3.org/ns/odrl/2/constraint>",
    "leftOperand": "<http://www.w3.org/ns/odrl/2/leftOperand>",
    "operator": "<http://www.w3.org/ns/odrl/2/operator>",
    "rightOperand": "<http://www.w3.org/ns/odrl/2/rightOperand>",
    "member": "<http://www.w3.org/ns/org#member>",
    "organization": "<http://www.w3.org/ns/org#organization>",
    "role": "<http://www.w3.org/ns/org#role>",
}
C = {
    "Organization": "<http://www.w3.org/ns/org#Organization>",
    "Agent": "<http://xmlns.com/foaf/0.1/Agent>",
    "Collaboration": "<http://www.w3.org/ns/org#OrganizationalCollaboration>",
    "DataSpace": f"<{DSKG}DataSpace>",
    "LegalFramework": f"<{DSKG}LegalFramework>",
    "Rulebook": f"<{DSKG}Rulebook>",
    "Catalog": "<http://www.w3.org/ns/dcat#Catalog>",
    "Dataset": "<http://www.w3.org/ns/dcat#Dataset>",
    "Distribution": "<http://www.w3.org/ns/dcat#Distribution>",
    "Membership": "<http://www.w3.org/ns/org#Membership>",
    "Offer": "<http://www.w3.org/ns/odrl/2/Offer>",
    "Set": "<http://www.w3.org/ns/odrl/2/Set>",
    "Kind": "<http://www.w3.org/2006/vcard/ns#Kind>",
    "Concept": "<http://www.w3.org/2004/02/skos/core#Concept>",
    "LicenseDocument": "<http://purl.org/dc/terms/LicenseDocument>",
    "MediaType": "<http://purl.org/dc/terms/MediaType>",
    "MediaTypeOrExtent": "<http://purl.org/dc/terms/MediaTypeOrExtent>",
}
THEMES = ["AGRI", "ENVI", "HEAL", "TRAN", "EDUC", "ECON", "ENER", "SOCI", "GOVE", "TECH"]
COUNTRIES = ["ES", "DE", "FR", "IT", "NL", "EE", "PT", "BE", "AT", "FI"]
SOURCE = "<https://w3id.org/dskg/source/synthetic>"
LICENCE = "<http://publications.europa.eu/resource/authority/licence/CC_BY_4_0>"
CSV_FORMAT = "<http://publications.europa.eu/resource/authority/file-type/CSV>"
CSV_MEDIA = "<http://www.iana.org/assignments/media-types/text/csv>"
RESEARCH = "<https://w3id.org/dskg/id/concept/research>"


def lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(text: str, datatype: str) -> str:
    return f'"{text}"^^<http://www.w3.org/2001/XMLSchema#{datatype}>'


def iri(kind: str, n: int | str) -> str:
    return f"<{ID}{kind}/{n}>"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, graph: str, s: str, p: str, o: str) -> None:
        # A description's graph has an IRI of its own, beside its main resource's.
        graph = graph.replace("/id/", "/graph/", 1)
        self.lines.append(f"{s} {p} {o} {graph} .\n")


def _frameworks(w: _Writer) -> tuple[str, str, str, str]:
    eu, national = iri("framework", "eu"), iri("framework", "national")
    eu_policy, national_policy = iri("policy", "eu-set"), iri("policy", "national-set")
    for node, tier, label, policy in ((eu, "EUTier", "Synthetic EU regulation", eu_policy),
                                      (national, "NationalTier", "Synthetic national law",
                                       national_policy)):
        w.add(node, node, RDF_TYPE, C["LegalFramework"])
        w.add(node, node, P["label"], lit(label, "en"))
        w.add(node, node, P["identifier"], lit(label.lower().replace(" ", "-")))
        w.add(node, node, P["tier"], f"<{DSKG}{tier}>")
        w.add(node, node, P["source"], SOURCE)
        w.add(node, node, P["hasPolicy"], policy)
        w.add(node, policy, RDF_TYPE, C["Set"])
        w.add(node, policy, P["uid"], policy)
        w.add(node, policy, P["tier"], f"<{DSKG}{tier}>")
        w.add(node, policy, P["source"], SOURCE)
        rule = f"_:{tier}rule"
        w.add(node, policy, P["permission"], rule)
        w.add(node, rule, P["action"], "<http://www.w3.org/ns/odrl/2/use>")
    w.add(national, national, P["subjectTo"], eu)
    w.add(national, national, P["country"], lit("ES"))
    w.add(national, national_policy, P["inheritFrom"], eu_policy)
    return eu, national, eu_policy, national_policy


def _organisation(w: _Writer, n: int, rng: random.Random, governs: bool) -> str:
    node = iri("organisation", n)
    name = f"Organisation {n}"
    w.add(node, node, RDF_TYPE, C["Organization"])
    w.add(node, node, RDF_TYPE, C["Agent"])
    w.add(node, node, P["label"], lit(name, "en"))
    w.add(node, node, P["name"], lit(name))
    w.add(node, node, P["identifier"], lit(f"org-{n}"))
    w.add(node, node, P["country"], lit(rng.choice(COUNTRIES)))
    w.add(node, node, P["source"], SOURCE)
    if governs:  # a data space's governing authority carries its tier
        w.add(node, node, P["tier"], f"<{DSKG}ProjectTier>")
    return node


def _dataspace(w: _Writer, n: int, authority: str, national: str, national_policy: str,
               dataset_ids: list[int]) -> str:
    node = iri("dataspace", n)
    catalog, rulebook, policy = iri("catalog", n), iri("rulebook", n), iri("policy", f"rb{n}")
    theme = f"<http://publications.europa.eu/resource/authority/data-theme/{THEMES[n % 10]}>"
    for cls in ("DataSpace", "Collaboration", "Organization", "Agent"):
        w.add(node, node, RDF_TYPE, C[cls])
    w.add(node, node, P["label"], lit(f"Data space {n}", "en"))
    w.add(node, node, P["name"], lit(f"Data space {n}"))
    w.add(node, node, P["identifier"], lit(f"ds-{n}"))
    w.add(node, node, P["description"], lit(f"Synthetic data space number {n}.", "en"))
    w.add(node, node, P["tier"], f"<{DSKG}ProjectTier>")
    w.add(node, node, P["country"], lit(COUNTRIES[n % 10]))
    w.add(node, node, P["governedBy"], authority)
    w.add(node, node, P["rulebook"], rulebook)
    w.add(node, node, P["catalog"], catalog)
    w.add(node, node, P["theme"], theme)
    w.add(node, theme, RDF_TYPE, C["Concept"])
    w.add(node, theme, P["label"], lit(THEMES[n % 10].title(), "en"))
    w.add(node, node, P["subjectTo"], national)
    w.add(node, node, P["source"], SOURCE)
    w.add(node, rulebook, RDF_TYPE, C["Rulebook"])
    w.add(node, rulebook, P["label"], lit(f"Rulebook of data space {n}", "en"))
    w.add(node, rulebook, P["title"], lit(f"Rulebook of data space {n}", "en"))
    w.add(node, rulebook, P["tier"], f"<{DSKG}ProjectTier>")
    w.add(node, rulebook, P["hasPolicy"], policy)
    w.add(node, rulebook, P["source"], SOURCE)
    w.add(node, policy, RDF_TYPE, C["Set"])
    w.add(node, policy, P["uid"], policy)
    w.add(node, policy, P["tier"], f"<{DSKG}ProjectTier>")
    w.add(node, policy, P["inheritFrom"], national_policy)
    w.add(node, policy, P["source"], SOURCE)
    rule = f"_:rb{n}perm"
    w.add(node, policy, P["permission"], rule)
    w.add(node, rule, P["action"], "<http://www.w3.org/ns/odrl/2/use>")
    w.add(node, catalog, RDF_TYPE, C["Catalog"])
    w.add(node, catalog, P["title"], lit(f"Catalog of data space {n}", "en"))
    w.add(node, catalog, P["description"], lit(f"Datasets offered in data space {n}.", "en"))
    w.add(node, catalog, P["publisher"], authority)
    w.add(node, catalog, P["source"], SOURCE)
    for d in dataset_ids:
        w.add(node, catalog, P["dataset"], iri("dataset", d))
    return node


def _dataset(w: _Writer, n: int, publisher: str, rulebook_policy: str, theme: str,
             rng: random.Random) -> None:
    node = iri("dataset", n)
    dist, offer = iri("distribution", n), iri("policy", f"offer{n}")
    contact = f"_:c{n}"
    rule, constraint = f"_:p{n}", f"_:k{n}"
    theme_iri = f"<http://publications.europa.eu/resource/authority/data-theme/{theme}>"
    w.add(node, node, RDF_TYPE, C["Dataset"])
    w.add(node, node, P["title"], lit(f"Dataset {n} on {theme.lower()}", "en"))
    w.add(node, node, P["description"], lit(f"Synthetic dataset {n} for benchmarks.", "en"))
    w.add(node, node, P["identifier"], lit(f"dataset-{n}"))
    w.add(node, node, P["publisher"], publisher)
    w.add(node, node, P["theme"], theme_iri)
    w.add(node, theme_iri, RDF_TYPE, C["Concept"])
    w.add(node, theme_iri, P["label"], lit(theme.title(), "en"))
    w.add(node, node, P["keyword"], lit(rng.choice(["open", "sensor", "survey", "registry"]),
                                        "en"))
    w.add(node, node, P["issued"], typed(f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-15",
                                         "date"))
    w.add(node, node, P["source"], SOURCE)
    w.add(node, node, P["contactPoint"], contact)
    w.add(node, contact, RDF_TYPE, C["Kind"])
    w.add(node, contact, P["fn"], lit(f"Data steward {n}"))
    w.add(node, contact, P["hasEmail"], f"<mailto:steward{n}@example.org>")
    w.add(node, node, P["distribution"], dist)
    w.add(node, dist, RDF_TYPE, C["Distribution"])
    w.add(node, dist, P["accessURL"], f"<https://data.example.org/{n}>")
    w.add(node, dist, P["format"], CSV_FORMAT)
    w.add(node, CSV_FORMAT, RDF_TYPE, C["MediaTypeOrExtent"])
    w.add(node, dist, P["mediaType"], CSV_MEDIA)
    w.add(node, CSV_MEDIA, RDF_TYPE, C["MediaType"])
    w.add(node, dist, P["license"], LICENCE)
    w.add(node, LICENCE, RDF_TYPE, C["LicenseDocument"])
    w.add(node, node, P["hasPolicy"], offer)
    w.add(node, offer, RDF_TYPE, C["Offer"])
    w.add(node, offer, P["uid"], offer)
    w.add(node, offer, P["assigner"], publisher)
    w.add(node, offer, P["target"], node)
    w.add(node, offer, P["inheritFrom"], rulebook_policy)
    w.add(node, offer, P["permission"], rule)
    w.add(node, rule, P["action"], "<http://www.w3.org/ns/odrl/2/use>")
    w.add(node, rule, P["target"], node)
    w.add(node, rule, P["constraint"], constraint)
    w.add(node, constraint, P["leftOperand"], "<http://www.w3.org/ns/odrl/2/purpose>")
    w.add(node, constraint, P["operator"], "<http://www.w3.org/ns/odrl/2/eq>")
    w.add(node, constraint, P["rightOperand"], RESEARCH)


def _membership(w: _Writer, n: int, member: str, dataspace: str, role: str) -> None:
    node = iri("membership", n)
    w.add(node, node, RDF_TYPE, C["Membership"])
    w.add(node, node, P["member"], member)
    w.add(node, node, P["organization"], dataspace)
    w.add(node, node, P["role"], f"<{DSKG}{role}>")
    w.add(node, node, P["source"], SOURCE)


def generate_lines(n_datasets: int, seed: int = 42) -> Iterator[str]:
    rng = random.Random(seed)
    w = _Writer()
    _eu, national, _eu_policy, national_policy = _frameworks(w)
    n_orgs = max(10, n_datasets // 10)
    n_spaces = max(3, n_datasets // 1000)
    orgs = [_organisation(w, i, rng, governs=i < n_spaces) for i in range(n_orgs)]
    by_space: dict[int, list[int]] = {s: [] for s in range(n_spaces)}
    for d in range(n_datasets):
        by_space[d % n_spaces].append(d)
    spaces = [_dataspace(w, s, orgs[s % n_orgs], national, national_policy, by_space[s])
              for s in range(n_spaces)]
    yield from w.lines
    w.lines.clear()
    for i, org in enumerate(orgs):
        _membership(w, i, org, spaces[i % n_spaces], "DataProvider")
    for s, space in enumerate(spaces):
        _membership(w, n_orgs + s, orgs[s % n_orgs], space, "GovernanceAuthority")
    yield from w.lines
    w.lines.clear()
    for d in range(n_datasets):
        space = d % n_spaces
        publisher = orgs[(space + n_spaces * rng.randint(0, max(0, n_orgs // n_spaces - 1)))
                         % n_orgs]
        _dataset(w, d, publisher, iri("policy", f"rb{space}"), THEMES[space % 10], rng)
        if len(w.lines) > 50_000:
            yield from w.lines
            w.lines.clear()
    yield from w.lines


def generate(n_datasets: int, seed: int = 42, path: Path | str | None = None) -> Path:
    """Write a synthetic ecosystem with ``n_datasets`` datasets as N-Quads; returns the path."""
    target = Path(path) if path else Path(f"/tmp/dskg-synthetic-{n_datasets}-{seed}.nq")
    if path is None and target.exists():
        return target
    with target.open("w", encoding="utf-8") as out:
        for line in generate_lines(n_datasets, seed):
            out.write(line)
    return target


TURTLE_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/", "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/", "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#", "dskg": DSKG, "syn": ID,
}


def generate_turtle(n_datasets: int, seed: int = 42, path: Path | str | None = None) -> Path:
    """The same ecosystem as one Turtle file, every description in the default graph (a
    portal's single-file export); returns the path."""
    import pyoxigraph as ox

    target = Path(path) if path else Path(f"/tmp/dskg-synthetic-{n_datasets}-{seed}.ttl")
    if path is None and target.exists():
        return target
    quads = ox.parse(generate(n_datasets, seed).read_bytes(), format=ox.RdfFormat.N_QUADS)
    # A set: the vocabulary terms every description repeats are stated once.
    triples = sorted({quad.triple for quad in quads}, key=str)
    ox.serialize(triples, str(target), format=ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES)
    return target
