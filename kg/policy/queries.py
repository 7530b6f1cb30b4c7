"""The bounded SPARQL queries the policy sources send to a store (no user text in them:
request terms arrive as ``bindings`` or escaped ``VALUES``)."""

from __future__ import annotations

from kg.namespaces import ODRL
from kg.policy.knowledge import ALL_LINKS

PREFIXES = """PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX dskg: <https://w3id.org/dskg#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
# Properties that make up a policy's description (its rules, constraints, lists, parents).
BODY = ("(odrl:permission|odrl:prohibition|odrl:obligation|odrl:duty|odrl:consequence|"
        "odrl:remedy|odrl:constraint|odrl:refinement|odrl:and|odrl:or|odrl:xone|"
        "odrl:andSequence|odrl:action|odrl:assignee|odrl:target|odrl:rightOperand|"
        "odrl:rightOperandReference|odrl:inheritFrom|rdf:first|rdf:rest)")
# BODY without odrl:inheritFrom: a parent named by an IRI is the same for thousands of
# offers (a rulebook policy), so its body is fetched once by BODY_QUERY and kept.
OWN_BODY = BODY.replace("odrl:inheritFrom|", "")
#: BODY's links one by one, and the query asking which of them the store holds at all: a
#: path alternative over a link nobody uses adds nothing but its cost (the engine looks each
#: alternative up at every step), so the source drops those (``narrowed``).
BODY_LINKS = tuple(BODY[1:-1].split("|"))
PRESENT_LINKS_QUERY = (PREFIXES + "SELECT ?p WHERE { VALUES ?p { " + " ".join(BODY_LINKS)
                       + " } FILTER EXISTS { ?s ?p ?o } }")


def narrowed(sparql: str, present: frozenset[str]) -> str:
    """``sparql`` with BODY and OWN_BODY reduced to the links in ``present`` (CURIEs)."""
    for path in (BODY, OWN_BODY):
        if path in sparql:
            kept = [link for link in path[1:-1].split("|") if link in present]
            sparql = sparql.replace(path, "(" + "|".join(kept or ["odrl:permission"]) + ")")
    return sparql


# Of the nodes a body reaches, every triple is kept except high fan-out links: a catalog
# named as a target must not bring its every dcat:dataset along.
DESCRIBED = "FILTER(?p NOT IN (dcat:dataset, dcat:record, dcat:service, dcat:catalog))"
ASSET_UP = "(odrl:partOf|dct:isPartOf)"
STRUCTURAL = "rdf:type, odrl:partOf, dct:isPartOf, odrl:hasPolicy, odrl:source, odrl:refinement"
SPACES = "?cat dcat:dataset ?target . ?top dcat:catalog* ?cat . ?space dskg:catalog ?top ."

def _triples(where: str) -> str:
    """A query for triples as ?s ?p ?o rows (cheaper to collect than a CONSTRUCT graph)."""
    return PREFIXES + f"SELECT ?s ?p ?o WHERE {{ {where} }}"


# Oxigraph plans a UNION of these badly (the cost grows with the store), so each is its own
# small query, anchored on ?target (bound through ``bindings``).
TARGET_QUERIES = (
    # the asset itself
    _triples("?target ?p ?o . BIND(?target AS ?s) "
               "FILTER(?p NOT IN (dcat:dataset, dcat:record))"),
    # the asset collections it is part of
    _triples(f"?target {ASSET_UP}+ ?s . ?s ?p ?o FILTER(?p IN ({STRUCTURAL}))"),
    # the data spaces listing it, their rulebooks and the frameworks they are subject to
    _triples(f"{SPACES} ?space (dskg:rulebook|dskg:subjectTo)* ?s . ?s ?p ?o . "
               "FILTER(?p NOT IN (dcat:dataset, dcat:record))"),
    # the bodies of the offers on the asset, of the policies and rules targeting it, and of
    # the rulebook and framework policies above it (odrl:inheritFrom is part of a body)
    _triples(f"?target odrl:hasPolicy ?root . ?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED}"),
    _triples("?root (odrl:permission|odrl:prohibition|odrl:obligation)?/odrl:target "
               f"?target . ?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED}"),
    _triples(f"{SPACES} ?space (dskg:rulebook|dskg:rulebook?/dskg:subjectTo+)/"
               f"odrl:hasPolicy? ?root . ?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED}"),
    # the catalog links from the data spaces down to the asset
    _triples("?s dcat:dataset ?target . BIND(dcat:dataset AS ?p) BIND(?target AS ?o)"),
    _triples("?cat dcat:dataset ?target . ?cat (^dcat:catalog)* ?o . ?s dcat:catalog ?o . "
               "BIND(dcat:catalog AS ?p)"),
)
#: Which of TARGET_QUERIES fetch the asset's own offers (left out when a file replaces them).
OFFER_QUERIES = (3, 4)
#: TARGET_QUERIES 0, 1, 6 and 7 and the data spaces listing the target in one request.
#: ``{t}``: the target, escaped (``term_n3``) into every branch: a VALUES block in front of
#: the union is not pushed into its branches, and each branch then scans the store.
LINKS_TEMPLATE = _triples(" UNION ".join("{ " + where + " }" for where in (
    "{t} ?p ?o . BIND({t} AS ?s) FILTER(?p NOT IN (dcat:dataset, dcat:record))",
    f"{{t}} {ASSET_UP}+ ?s . ?s ?p ?o FILTER(?p IN ({STRUCTURAL}))",
    "?s dcat:dataset {t} . BIND(dcat:dataset AS ?p) BIND({t} AS ?o)",
    "?cat dcat:dataset {t} . ?cat (^dcat:catalog)* ?o . ?s dcat:catalog ?o . "
    "BIND(dcat:catalog AS ?p)",
    "?cat dcat:dataset {t} . ?top dcat:catalog* ?cat . ?s dskg:catalog ?top . "
    "BIND(dskg:catalog AS ?p) BIND(?top AS ?o)"))).replace("{", "{{").replace(
    "}", "}}").replace("{{t}}", "{t}")
#: OFFER_QUERIES in one request, the target escaped in (``{t}``); the distinct roots first,
#: then their bodies (about three times cheaper than the two queries).
OFFERS_TEMPLATE = _triples(
    "{ SELECT DISTINCT ?root { { @T odrl:hasPolicy ?root } UNION "
    "{ ?root (odrl:permission|odrl:prohibition|odrl:obligation)?/odrl:target @T } } } "
    f"?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED}").replace("{", "{{").replace(
    "}", "}}").replace("@T", "{t}")
#: Everything a single decision reads about its target, in one request (``{t}``: the target,
#: escaped): LINKS_TEMPLATE's branches but the catalogs above the ones listing it (the same
#: for all a catalog's datasets: CATALOG_QUERY, kept), and the target's offers with their
#: own bodies, up to (and with) the ``odrl:inheritFrom`` links, not the parents' bodies.
_TARGET_BRANCHES = (
    "@T ?p ?o . BIND(@T AS ?s) FILTER(?p NOT IN (dcat:dataset, dcat:record))",
    f"@T {ASSET_UP}+ ?s . ?s ?p ?o FILTER(?p IN ({STRUCTURAL}))",
    "?s dcat:dataset @T . BIND(dcat:dataset AS ?p) BIND(@T AS ?o)",
    "{ SELECT DISTINCT ?root { { @T odrl:hasPolicy ?root } UNION "
    "{ ?root (odrl:permission|odrl:prohibition|odrl:obligation)?/odrl:target @T } } } "
    f"?root {OWN_BODY}* ?s . ?s ?p ?o . {DESCRIBED}")
# PARTY_TEMPLATE's branches, their rows marked (?k) so that they can be kept apart.
_PARTY_BRANCHES = (
    "@A (org:subOrganizationOf|odrl:partOf)* ?s . ?s ?p ?o BIND(dskg:party AS ?k)",
    "@A org:subOrganizationOf* ?a . ?s org:member ?a . ?s ?p ?o BIND(dskg:party AS ?k)")


def _template(select: str, branches: tuple[str, ...]) -> str:
    where = " UNION ".join("{ " + branch + " }" for branch in branches)
    return (PREFIXES + f"SELECT {select} WHERE {{ {where} }}").replace("{", "{{").replace(
        "}", "}}").replace("@T", "{t}").replace("@A", "{a}")


TARGET_TEMPLATE = _template("?s ?p ?o", _TARGET_BRANCHES)
#: LINKS_TEMPLATE's catalog branches for one catalog listing the target (?cat): the catalogs
#: above it and the data spaces whose catalog is one of those.
CATALOG_QUERY = _triples(
    "{ ?cat (^dcat:catalog)* ?o . ?s dcat:catalog ?o . BIND(dcat:catalog AS ?p) } UNION "
    "{ ?top dcat:catalog* ?cat . ?s dskg:catalog ?top . BIND(dskg:catalog AS ?p) "
    "BIND(?top AS ?o) }")
#: TARGET_TEMPLATE and PARTY_TEMPLATE in one request (``{t}`` the target, ``{a}`` the
#: assignee); the party's rows have ?k bound.
TARGET_PARTY_TEMPLATE = _template("?s ?p ?o ?k", _TARGET_BRANCHES + _PARTY_BRANCHES)
#: LINKS_TEMPLATE and OFFERS_TEMPLATE for many targets at once (``%s``: escaped VALUES), one
#: query per branch so that the VALUES block binds each; rows carry their ?target (?root for
#: bodies).
def _many(where: str, key: str = "target") -> str:
    return PREFIXES + f"SELECT ?{key} ?s ?p ?o WHERE {{ VALUES ?{key} {{ %s }} {where} }}"


MANY_LINKS_QUERIES = (
    _many("?target ?p ?o . BIND(?target AS ?s) FILTER(?p NOT IN (dcat:dataset, dcat:record))"),
    _many(f"?target {ASSET_UP}+ ?s . ?s ?p ?o FILTER(?p IN ({STRUCTURAL}))"),
    _many("?s dcat:dataset ?target . BIND(dcat:dataset AS ?p) BIND(?target AS ?o)"),
    _many("?cat dcat:dataset ?target . ?cat (^dcat:catalog)* ?o . ?s dcat:catalog ?o . "
          "BIND(dcat:catalog AS ?p)"),
    _many("?cat dcat:dataset ?target . ?top dcat:catalog* ?cat . ?s dskg:catalog ?top . "
          "BIND(dskg:catalog AS ?p) BIND(?top AS ?o)"),
)
MANY_ROOTS_QUERIES = (
    PREFIXES + "SELECT DISTINCT ?target ?root WHERE { VALUES ?target { %s } "
    "?target odrl:hasPolicy ?root }",
    PREFIXES + "SELECT DISTINCT ?target ?root WHERE { VALUES ?target { %s } "
    "?root (odrl:permission|odrl:prohibition|odrl:obligation)?/odrl:target ?target }",
)
MANY_BODIES_QUERY = _many(f"?root {OWN_BODY}* ?s . ?s ?p ?o . {DESCRIBED}", "root")
#: TARGET_QUERIES 2 and 5 (what is above the data spaces: the same for every dataset of a
#: data space) anchored on one data space (?space), to be fetched once per data space.
SPACE_QUERIES = (
    _triples("?space (dskg:rulebook|dskg:subjectTo)* ?s . ?s ?p ?o . "
               "FILTER(?p NOT IN (dcat:dataset, dcat:record))"),
    _triples("?space (dskg:rulebook|dskg:rulebook?/dskg:subjectTo+)/odrl:hasPolicy? ?root . "
               f"?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED}"),
)
#: The body of one policy named by an IRI (?root), with its ancestors.
BODY_QUERY = _triples(f"?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED}")
#: The assignee (?party), the organisations above it, and their memberships.
PARTY_QUERIES = (
    _triples("?party org:subOrganizationOf* ?s . ?s ?p ?o"),
    _triples("?party org:subOrganizationOf* ?a . ?s org:member ?a . ?s ?p ?o"),
)
#: PARTY_QUERIES in one request, the party escaped in (``{t}``).
PARTY_TEMPLATE = _triples(
    "{ @T (org:subOrganizationOf|odrl:partOf)* ?s . ?s ?p ?o } UNION "
    "{ @T org:subOrganizationOf* ?a . ?s org:member ?a . ?s ?p ?o }").replace(
    "{", "{{").replace("}", "}}").replace("@T", "{t}")
_LINKS = "|".join(f"<{link}>" for link in (*ALL_LINKS, ODRL.includedIn, ODRL.implies))
_LINK_LIST = ", ".join(f"<{link}>" for link in (*ALL_LINKS, ODRL.includedIn, ODRL.implies))
# Forward along every hierarchy link, and back along equivalences (so "x sameAs c" is seen
# from c).
_LINK_PATH = f"({_LINKS}|^<http://www.w3.org/2002/07/owl#sameAs>|^skos:exactMatch)*"
#: The hierarchies above the IRIs a request involves (``%s``: escaped VALUES), and the
#: memberships of those that are organisations, in two queries (a UNION of them is planned
#: badly).
CONCEPTS_QUERIES = (
    PREFIXES + f"SELECT ?c ?s ?p ?o WHERE {{ VALUES ?c {{ %s }} ?c {_LINK_PATH} ?s . "
    f"?s ?p ?o . FILTER(?p IN ({_LINK_LIST})) }}",
    PREFIXES + f"SELECT ?c ?s ?p ?o WHERE {{ VALUES ?c {{ %s }} ?c {_LINK_PATH} ?x . "
    "?s org:member ?x . ?s ?p ?o }",
)


# The conflict report reads every policy: this is the one place that scans (a report, not a
# request path).
# Paths from every policy at once are slow in Oxigraph, so the report reads policies by
# predicate (index look-ups): every ODRL statement, lists and action values, and the ODRL
# types.
ODRL_PREDICATES = " ".join(f"odrl:{name}" for name in (
    "permission", "prohibition", "obligation", "duty", "consequence", "remedy", "constraint",
    "refinement", "and", "or", "xone", "andSequence", "action", "assignee", "assigner",
    "target", "leftOperand", "operator", "rightOperand", "rightOperandReference", "dataType",
    "unit", "uid", "conflict", "inheritFrom", "source", "partOf", "hasPolicy", "includedIn",
    "implies"))
ALL_BODIES_QUERIES = (
    _triples(f"VALUES ?p {{ {ODRL_PREDICATES} rdf:first rdf:rest rdf:value dskg:tier }} "
             "?s ?p ?o"),
    _triples("VALUES ?o { odrl:Set odrl:Offer odrl:Agreement odrl:Policy odrl:Permission "
             "odrl:Prohibition odrl:Duty odrl:PartyCollection odrl:AssetCollection } "
             "?s ?p ?o . FILTER(?p = rdf:type)"),
)
GOVERNANCE_LINKS = ("odrl:hasPolicy", "dcat:dataset", "dcat:catalog", "dskg:catalog",
                    "dskg:rulebook", "dskg:subjectTo", "dskg:tier", "skos:broader",
                    "org:member", "org:organization", "org:role", "org:subOrganizationOf",
                    "org:memberOf", "odrl:partOf", "dct:isPartOf", "dct:source",
                    "odrl:includedIn", "odrl:implies", "odrl:assigner")
ALL_LINKS_QUERY = _triples(f"VALUES ?p {{ {' '.join(GOVERNANCE_LINKS)} }} ?s ?p ?o")
FACTS_QUERY = _triples("VALUES ?p { %s } ?s ?p ?o")
