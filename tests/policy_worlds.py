"""Random synthetic catalogs for the policy tests: data spaces with rulebooks under a national
and an EU framework, organisations and memberships, datasets with zero, one or two offers of
random rules (permissions with party, purpose, place and time constraints and duties,
prohibitions, obligations, conflict strategies)."""

from __future__ import annotations

import random

PREFIXES = """@prefix ex: <https://example.org/w/> .
@prefix dskg: <https://w3id.org/dskg#> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
ACTIONS = ["odrl:use", "odrl:read", "odrl:distribute", "odrl:transfer", "odrl:sell"]
PURPOSES = ["ex:Research", "ex:MedicalResearch", "ex:Commercial", "ex:Marketing"]
PLACES = ['"EU"', '"EEA"', '"ES"', '"US"']


def _constraint(rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        op = rng.choice(["odrl:isA", "odrl:isAnyOf", "odrl:isNoneOf"])
        return (f"[ odrl:leftOperand odrl:purpose ; odrl:operator {op} ; "
                f"odrl:rightOperand {rng.choice(PURPOSES)} ]")
    if choice == 1:
        op = rng.choice(["odrl:isAnyOf", "odrl:isNoneOf", "odrl:isPartOf"])
        return (f"[ odrl:leftOperand odrl:spatial ; odrl:operator {op} ; "
                f"odrl:rightOperand {rng.choice(PLACES)} ]")
    if choice == 2:
        op = rng.choice(["odrl:lt", "odrl:gteq"])
        return (f'[ odrl:leftOperand odrl:dateTime ; odrl:operator {op} ; '
                f'odrl:rightOperand "{rng.choice(["2025-01-01", "2026-06-01"])}"^^xsd:date ]')
    return ("[ odrl:or ( [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; "
            f"odrl:rightOperand {rng.choice(PURPOSES)} ] [ odrl:leftOperand odrl:spatial ; "
            f"odrl:operator odrl:eq ; odrl:rightOperand {rng.choice(PLACES)} ] ) ]")


def _rule(rng: random.Random, kind: str, spaces: int, orgs: int,
          constrained: bool = False) -> str:
    parts = [f"odrl:action {rng.choice(ACTIONS)}"]
    if constrained:
        parts.append(f"odrl:constraint {_constraint(rng)}")
    party = rng.randrange(4)
    if party == 1:
        parts.append(f"odrl:assignee [ a odrl:PartyCollection ; odrl:source "
                     f"ex:space{rng.randrange(spaces)} ]")
    elif party == 2:
        parts.append(f"odrl:assignee ex:org{rng.randrange(orgs)}")
    for _ in range(rng.choice([0, 0, 1, 2])):
        parts.append(f"odrl:constraint {_constraint(rng)}")
    if kind == "permission" and rng.random() < 0.3:
        parts.append("odrl:duty [ odrl:action odrl:attribute ]")
    return "[ " + " ; ".join(parts) + " ]"


def world(seed: int, datasets: int = 30, spaces: int = 2, orgs: int = 5) -> str:
    """A random catalog as Turtle."""
    rng = random.Random(seed)
    out = [PREFIXES,
           "ex:MedicalResearch skos:broader ex:Research . ex:Marketing skos:broader "
           "ex:Commercial .",
           "ex:eu dskg:tier dskg:EUTier ; odrl:hasPolicy ex:eu-set .",
           "ex:eu-set a odrl:Set ; dskg:tier dskg:EUTier ; odrl:prohibition [ odrl:action "
           "odrl:transfer ; odrl:constraint [ odrl:leftOperand odrl:spatial ; odrl:operator "
           'odrl:isNoneOf ; odrl:rightOperand "EEA" ] ] .',
           "ex:nat dskg:tier dskg:NationalTier ; dskg:subjectTo ex:eu ; "
           "odrl:hasPolicy ex:nat-set .",
           f"ex:nat-set a odrl:Set ; dskg:tier dskg:NationalTier ; odrl:prohibition "
           f"{_rule(rng, 'prohibition', spaces, orgs, constrained=True)} ."]
    for s in range(spaces):
        rules = []
        if rng.random() < 0.5:
            rules.append(f"odrl:prohibition {_rule(rng, 'prohibition', spaces, orgs)}")
        if rng.random() < 0.4:
            rules.append(f"odrl:permission {_rule(rng, 'permission', spaces, orgs)}")
        out.append(f"ex:space{s} a dskg:DataSpace ; dskg:catalog ex:cat{s} ; "
                   f"dskg:rulebook ex:rb{s} ; dskg:subjectTo ex:nat .")
        out.append(f"ex:rb{s} odrl:hasPolicy ex:rbp{s} .")
        out.append(f"ex:rbp{s} a odrl:Set ; dskg:tier dskg:ProjectTier "
                   + "".join(f" ; {r}" for r in rules) + " .")
    for o in range(orgs):
        out.append(f"ex:org{o} a org:Organization .")
        for s in range(spaces):
            if rng.random() < 0.5:
                out.append(f"[] a org:Membership ; org:member ex:org{o} ; "
                           f"org:organization ex:space{s} .")
    for d in range(datasets):
        out.append(f"ex:cat{rng.randrange(spaces)} dcat:dataset ex:d{d} .")
        out.append(f"ex:d{d} a dcat:Dataset .")
        for n in range(rng.choice([0, 1, 1, 1, 2])):
            offer = f"ex:offer{d}-{n}"
            rules = [f"odrl:permission {_rule(rng, 'permission', spaces, orgs)}"
                     for _ in range(rng.choice([1, 1, 2]))]
            if rng.random() < 0.3:
                rules.append(f"odrl:prohibition {_rule(rng, 'prohibition', spaces, orgs)}")
            if rng.random() < 0.1:
                rules.append("odrl:obligation [ odrl:action odrl:attribute ]")
            if rng.random() < 0.3:
                rules.append(f"odrl:conflict {rng.choice(['odrl:perm', 'odrl:prohibit'])}")
            out.append(f"ex:d{d} odrl:hasPolicy {offer} .")
            out.append(f"{offer} a odrl:Offer ; odrl:target ex:d{d} ; " + " ; ".join(rules)
                       + " .")
    return "\n".join(out) + "\n"


def _iri(name: str | None) -> str | None:
    return None if name is None else name.replace("ex:", "https://example.org/w/")


def questions(seed: int, orgs: int = 5, count: int = 4) -> list[dict[str, object]]:
    rng = random.Random(seed * 7919)
    return [{"assignee": f"https://example.org/w/org{rng.randrange(orgs)}",
             "action": rng.choice(ACTIONS[:4]),
             "purpose": _iri(rng.choice([None, *PURPOSES])),
             "spatial": rng.choice([None, "ES", "US", "DE"]),
             "at": rng.choice(["2024-06-01T00:00:00Z", "2026-12-01T00:00:00Z"]),
             "duties_done": ["odrl:attribute"] if rng.random() < 0.5 else []}
            for _ in range(count)]


def shaped_world(seed: int, datasets: int = 160, spaces: int = 2, orgs: int = 5) -> str:
    """A catalog like a real one: every dataset has an offer of its own (its own IRIs and
    rule nodes, a title, an assigner) in one of a few shapes, with what must tell shapes
    apart: purposes, data spaces, duties (some named by IRI), a language refinement on the
    dataset, prohibitions, a rule node that is also a value, offers shared by IRI."""
    rng = random.Random(seed)
    out = [world(seed, datasets=0, spaces=spaces, orgs=orgs)]
    for d in range(datasets):
        ds, offer, perm = f"ex:d{d}", f"ex:d{d}-offer", f"ex:d{d}-perm"
        out.append(f"ex:cat{rng.randrange(spaces)} dcat:dataset {ds} .")
        out.append(f'{ds} a dcat:Dataset ; <http://purl.org/dc/terms/title> "Dataset {d}" ; '
                   "<http://purl.org/dc/terms/language> "
                   f"{rng.choice(['ex:lang-en', 'ex:lang-es'])} .")
        shape = 4 if d % 20 == 0 else 1 if d == 7 else rng.choice([0, 1, 2, 3, 5, 6])
        if shape == 6:  # one offer shared by IRI
            out.append(f"{ds} odrl:hasPolicy ex:shared-offer .")
            continue
        out.append(f"{ds} odrl:hasPolicy {offer} .")
        party = rng.choice(["", " ; odrl:assignee [ a odrl:PartyCollection ; odrl:source "
                                "ex:space0 ]"])
        purpose = (f" ; odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator "
                   f"odrl:isA ; odrl:rightOperand {rng.choice(PURPOSES[1:3])} ]")
        body = f"odrl:action {rng.choice(ACTIONS[:2])}{party}"
        if shape == 0:
            rules = f"odrl:permission [ {body}{purpose} ]"
        elif shape == 1:  # a named duty (questions may say it is done)
            rules = (f"odrl:permission {perm} . {perm} {body} ; odrl:duty ex:d{d}-duty . "
                     f"ex:d{d}-duty odrl:action odrl:attribute . {offer} odrl:target {ds}")
        elif shape == 2:  # a language refinement on the dataset
            rules = (f"odrl:permission [ {body} ; odrl:target [ a odrl:AssetCollection ; "
                     "odrl:refinement [ odrl:leftOperand odrl:language ; odrl:operator "
                     "odrl:eq ; odrl:rightOperand ex:lang-en ] ] ]")
        elif shape == 3:  # a permission and a prohibition
            rules = (f"odrl:permission [ {body} ] ; odrl:prohibition [ odrl:action "
                     f"{rng.choice(ACTIONS[3:])}{purpose} ]")
        elif shape == 4:  # a rule node that is also a value elsewhere
            rules = (f"odrl:permission {perm} . {perm} {body} . {offer} "
                     f"<http://purl.org/dc/terms/relation> {perm}")
        else:
            rules = f"odrl:permission [ {body} ; odrl:duty [ odrl:action odrl:attribute ] ]"
        out.append(f"{offer} a odrl:Offer ; odrl:assigner ex:org{d % orgs} ; "
                   f"odrl:inheritFrom ex:rbp0 ; {rules} .")
    out.append("ex:shared-offer a odrl:Offer ; odrl:permission [ odrl:action odrl:use ] .")
    return "\n".join(out) + "\n"
