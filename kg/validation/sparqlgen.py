"""Compile shapes to SPARQL: one query pattern per constraint, over all focus nodes at once.

Each check is a group pattern that binds ``?this`` (the focus node) and, where the constraint
has one, a value node; it matches exactly the (focus, value) pairs the SHACL definition of the
component reports. Nested shapes (``sh:node``, ``sh:and``/``or``/``xone``/``not``) become
``EXISTS`` tests of a "does not conform" pattern: the union of the nested shape's checks.
SHACL-SPARQL constraints keep their own text; the target pattern is put in front of their
``WHERE`` body so ``$this`` is bound exactly as pySHACL pre-binds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.paths import InvPath
from rdflib.term import Identifier, Node

from kg.namespaces import RDF, RDFS, SH, XSD
from kg.store.sparql_text import term_n3
from kg.validation.compiler import Constraint, Shape, ShapesModel, Targets
from kg.validation.paths import ShapeError, sparql_path
from kg.validation.report import PathValue

#: Components whose results are one per failing value node.
VALUE_COMPONENTS = frozenset(SH[c] for c in (
    "ClassConstraintComponent", "DatatypeConstraintComponent", "NodeKindConstraintComponent",
    "MinExclusiveConstraintComponent", "MinInclusiveConstraintComponent",
    "MaxExclusiveConstraintComponent", "MaxInclusiveConstraintComponent",
    "MinLengthConstraintComponent", "MaxLengthConstraintComponent",
    "PatternConstraintComponent", "LanguageInConstraintComponent", "NotConstraintComponent",
    "AndConstraintComponent", "OrConstraintComponent", "XoneConstraintComponent",
    "NodeConstraintComponent", "InConstraintComponent"))

#: Components whose check starts from the path's triples rather than from the focus nodes.
_STARTS_AT_VALUES = VALUE_COMPONENTS | {SH.MaxCountConstraintComponent,
                                        SH.UniqueLangConstraintComponent,
                                        SH.DisjointConstraintComponent,
                                        SH.LessThanConstraintComponent,
                                        SH.LessThanOrEqualsConstraintComponent}

#: Datatypes whose lexical form the engine checks with an XSD cast (pySHACL flags ill-typed
#: literals of these through rdflib); others are accepted on the datatype IRI alone.
_CASTABLE = {XSD[n] for n in ("integer", "decimal", "float", "double", "boolean", "date",
                              "dateTime", "time", "duration", "dayTimeDuration",
                              "yearMonthDuration")}
_INTEGER_RANGES: dict[URIRef, tuple[int | None, int | None]] = {
    XSD.nonNegativeInteger: (0, None), XSD.positiveInteger: (1, None),
    XSD.nonPositiveInteger: (None, 0), XSD.negativeInteger: (None, -1),
    XSD.long: (-(2**63), 2**63 - 1), XSD.int: (-(2**31), 2**31 - 1),
    XSD.short: (-(2**15), 2**15 - 1), XSD.byte: (-128, 127),
    XSD.unsignedLong: (0, 2**64 - 1), XSD.unsignedInt: (0, 2**32 - 1),
    XSD.unsignedShort: (0, 2**16 - 1), XSD.unsignedByte: (0, 255),
}
_LEXICAL_PATTERNS = {
    XSD.hexBinary: "^([0-9a-fA-F]{2})*$",
    XSD.base64Binary: "^[A-Za-z0-9+/ ]*=?=?$",
}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})", SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
_RANGE_TESTS = {
    SH.MinExclusiveConstraintComponent: ">", SH.MinInclusiveConstraintComponent: ">=",
    SH.MaxExclusiveConstraintComponent: "<", SH.MaxInclusiveConstraintComponent: "<=",
}
#: The store keeps numbers by value: "12"^^xsd:byte comes back as "12"^^xsd:integer. Where
#: that changed a literal's datatype, the validation workspace records the datatype as
#: written in this graph (``STORED`` the literal as stored, ``WRITTEN`` its datatype), and
#: sh:datatype on an integer type reads it.
LITERALS_GRAPH = URIRef("urn:dskg:validation:literals")
STORED = URIRef("urn:dskg:validation:stored")
WRITTEN = URIRef("urn:dskg:validation:datatype")
_STORED_AS_INTEGER = frozenset({XSD.integer, *_INTEGER_RANGES})
#: Longer sh:in lists are tested with a VALUES join instead of sameTerm tests.
_SHORT_LIST = 8
#: How many times one shape may nest inside itself (sh:node cycles such as Gaia-X 22.10's
#: parent organisation): SPARQL has no recursion, so the check is unrolled this deep.
RECURSION_DEPTH = 3
_PAIR_TESTS = {SH.LessThanConstraintComponent: "<",
               SH.LessThanOrEqualsConstraintComponent: "<="}


@dataclass(eq=False)
class Check:
    """One constraint of one shape, compiled against the focus nodes of a root shape."""

    key: int
    root: Shape
    shape: Shape
    constraint: Constraint
    #: A group pattern binding ?this, ?value (when the component has value nodes), ?rpath.
    pattern: str = ""
    #: For SHACL-SPARQL constraints, a complete SELECT binding ?this, ?value, ?path.
    query: str | None = None
    #: Predicates that must occur in the data for the check to find anything.
    needs_predicate: URIRef | None = None
    #: The paths from a root's focus node to this shape's focus nodes (a property shape
    #: inside a property shape validates the outer one's value nodes).
    via: tuple[PathValue, ...] = ()
    #: The pattern binds ?witness (results differing only there are distinct results).
    witness: bool = False
    # What every result of the check says (filled once, when the shapes are compiled).
    message: str = ""
    expected: str = ""
    source: Identifier | None = None
    source_shape: Node | None = None


def n3(term: Node) -> str:
    return term_n3(term) if not isinstance(term, BNode) else _refuse_bnode(term)


def _refuse_bnode(term: BNode) -> str:
    raise ShapeError(f"a blank node cannot be named in a SPARQL query: {term!r}")


class Compiler:
    def __init__(self, model: ShapesModel) -> None:
        self.model = model
        self.counter = 0
        self._stack: list[Shape] = []

    # -- helpers ---------------------------------------------------------------------------
    def var(self, stem: str) -> str:
        self.counter += 1
        return f"?{stem}{self.counter}"

    def closure(self, classes: frozenset[URIRef] | set[URIRef]) -> set[URIRef]:
        found: set[URIRef] = set()
        for cls in classes:
            found |= self.model.subclasses.get(cls, {cls})
        return found

    def type_test(self, v: str, cls: URIRef) -> str:
        classes = sorted(self.closure({cls}))
        if len(classes) == 1:
            return f"EXISTS {{ {v} {n3(RDF.type)} {n3(classes[0])} }}"
        t = self.var("t")
        values = " ".join(n3(c) for c in classes)
        return f"EXISTS {{ {v} {n3(RDF.type)} {t} . VALUES {t} {{ {values} }} }}"

    def target(self, targets: Targets, f: str = "?this") -> str:
        """A pattern enumerating the focus nodes (constant class patterns: the store then
        reads one index range per class)."""
        parts = [f"{f} {n3(RDF.type)} {n3(c)} ." for c in sorted(self.closure(targets.classes))]
        if targets.nodes:
            parts.append(f"VALUES {f} {{ {' '.join(n3(n) for n in sorted(targets.nodes))} }}")
        for p in sorted(targets.subjects_of):
            parts.append(f"{f} {n3(p)} {self.var('ts')} .")
        for p in sorted(targets.objects_of):
            parts.append(f"{self.var('to')} {n3(p)} {f} .")
        if not parts:
            raise ShapeError("a root shape without targets")
        if len(parts) == 1:
            return parts[0]
        return " UNION ".join(f"{{ {p} }}" for p in parts)

    def target_test(self, targets: Targets, f: str = "?this") -> str:
        """An expression true when ``f`` is a focus node (for checks that start elsewhere)."""
        tests = []
        classes = sorted(self.closure(targets.classes))
        if len(classes) == 1:
            tests.append(f"EXISTS {{ {f} {n3(RDF.type)} {n3(classes[0])} }}")
        elif classes:
            t = self.var("tc")
            values = " ".join(n3(c) for c in classes)
            tests.append(f"EXISTS {{ {f} {n3(RDF.type)} {t} . VALUES {t} {{ {values} }} }}")
        if targets.nodes:
            tests.append("(" + " || ".join(f"sameTerm({f}, {n3(n)})"
                                           for n in sorted(targets.nodes)) + ")")
        for p in sorted(targets.subjects_of):
            tests.append(f"EXISTS {{ {f} {n3(p)} {self.var('ts')} }}")
        for p in sorted(targets.objects_of):
            tests.append(f"EXISTS {{ {self.var('to')} {n3(p)} {f} }}")
        if not tests:
            raise ShapeError("a root shape without targets")
        return " || ".join(tests)

    # -- value tests -------------------------------------------------------------------------
    def datatype_ok(self, v: str, datatype: URIRef) -> str:
        if datatype == RDFS.Literal:
            return f"isLiteral({v})"
        test = f"isLiteral({v}) && DATATYPE({v}) = {n3(datatype)}"
        if datatype in _STORED_AS_INTEGER:
            test = f"isLiteral({v}) && {self.written_type(v, datatype)}"
        if datatype in _CASTABLE:
            test += f" && COALESCE(isLiteral({n3(datatype)}(STR({v}))), false)"
        elif datatype in _INTEGER_RANGES:
            low, high = _INTEGER_RANGES[datatype]
            number = f"{n3(XSD.integer)}(STR({v}))"
            bounds = [f"{number} >= {low}" if low is not None else "",
                      f"{number} <= {high}" if high is not None else ""]
            test += f" && COALESCE({' && '.join(b for b in bounds if b)}, false)"
        elif datatype in _LEXICAL_PATTERNS:
            test += f" && REGEX(STR({v}), {Literal(_LEXICAL_PATTERNS[datatype]).n3()})"
        return f"({test})"

    def written_type(self, v: str, datatype: URIRef) -> str:
        """``v``'s datatype is ``datatype`` as written (see ``LITERALS_GRAPH``)."""
        lit, other = self.var("lit"), self.var("ldt")
        recorded = f"GRAPH {n3(LITERALS_GRAPH)} {{ {lit} {n3(STORED)} {v} ; {n3(WRITTEN)}"
        return (f"((DATATYPE({v}) = {n3(datatype)} && NOT EXISTS {{ {recorded} {other} . "
                f"FILTER({other} != {n3(datatype)}) }} }}) || "
                f"EXISTS {{ {recorded} {n3(datatype)} }} }})")

    def fails(self, shape: Shape, c: Constraint, v: str) -> str:
        """A SPARQL expression true when value node ``v`` fails value constraint ``c``."""
        comp, p = c.component, c.parameter
        if comp == SH.ClassConstraintComponent:
            return f"!{self.type_test(v, p)}"
        if comp == SH.DatatypeConstraintComponent:
            return f"!{self.datatype_ok(v, p)}"
        if comp == SH.NodeKindConstraintComponent:
            if p not in _NODE_KINDS:
                raise ShapeError(f"unknown sh:nodeKind {p} in {shape.node}")
            return f"!({_NODE_KINDS[p].format(v=v)})"
        if comp in _RANGE_TESTS:
            return f"!COALESCE({v} {_RANGE_TESTS[comp]} {n3(p)}, false)"
        if comp == SH.MinLengthConstraintComponent:
            return f"(isBlank({v}) || STRLEN(STR({v})) < {p})"
        if comp == SH.MaxLengthConstraintComponent:
            return f"(isBlank({v}) || STRLEN(STR({v})) > {p})"
        if comp == SH.PatternConstraintComponent:
            flags = f", {Literal(c.extra).n3()}" if c.extra else ""
            return f"(isBlank({v}) || !REGEX(STR({v}), {Literal(str(p)).n3()}{flags}))"
        if comp == SH.LanguageInConstraintComponent:
            tests = " || ".join(f"langMatches(LANG({v}), {Literal(str(t)).n3()})" for t in p)
            return f"!(isLiteral({v}) && ({tests or 'false'}))"
        if comp == SH.InConstraintComponent:
            if len(p) > _SHORT_LIST:
                # A join on VALUES: a hash lookup, where thousands of sameTerm tests (Gaia-X
                # lists every ISO 3166-2 code) would make one huge expression.
                return f"NOT EXISTS {{ VALUES {v} {{ {' '.join(n3(t) for t in p)} }} }}"
            tests = " || ".join(f"sameTerm({v}, {n3(t)})" for t in p)
            return f"!({tests or 'false'})"
        if comp == SH.NodeConstraintComponent:
            return self.not_conforms(p, v)
        if comp == SH.NotConstraintComponent:
            return f"!{self.not_conforms(p, v)}"
        if comp == SH.AndConstraintComponent:
            return "(" + " || ".join(self.not_conforms(s, v) for s in p) + ")" if p else "false"
        if comp == SH.OrConstraintComponent:
            return "(" + " && ".join(self.not_conforms(s, v) for s in p) + ")" if p else "true"
        if comp == SH.XoneConstraintComponent:
            count = " + ".join(f"IF({self.not_conforms(s, v)}, 0, 1)" for s in p) or "0"
            return f"(({count}) != 1)"
        raise ShapeError(f"{comp} is not a value constraint")

    def not_conforms(self, shape: Shape, v: str) -> str:
        """An expression true when node ``v`` does not conform to ``shape``."""
        if self._stack.count(shape) >= RECURSION_DEPTH:
            return "false"  # a recursive shape is followed this deep, then taken as met
        self._stack.append(shape)
        try:
            pattern = self.violations(shape, v)
        finally:
            self._stack.pop()
        return "false" if pattern is None else f"EXISTS {{ {pattern} }}"

    def violations(self, shape: Shape, f: str) -> str | None:
        """A pattern matching when focus ``f`` violates any constraint of ``shape``."""
        parts = []
        for c in shape.constraints:
            if c.component == SH.SPARQLConstraintComponent:
                raise ShapeError(f"SPARQL constraint in nested shape {shape.node} is not supported")
            compiled = self.constraint(shape, c, f)
            if compiled is not None:
                parts.append(compiled[0])
        for prop in shape.properties:
            nested = self.violations(prop, f)
            if nested is not None:
                parts.append(nested)
        if not parts:
            return None
        return " UNION ".join(f"{{ {p} }}" for p in parts)

    # -- constraints -------------------------------------------------------------------------
    def value_nodes(self, shape: Shape, f: str) -> tuple[str, str]:
        if shape.path is None:
            return "", f
        v = self.var("v")
        return f"{f} {sparql_path(shape.path)} {v} .", v

    def constraint(self, shape: Shape, c: Constraint, f: str, *, top: bool = False
                   ) -> tuple[str, str | None] | None:
        """(pattern, value variable) matching the violations of ``c`` at focus ``f``.

        ``top``: the focus nodes are enumerated before (not bound from outside), where the
        store evaluates an absent-value test as OPTIONAL + !BOUND far faster than NOT EXISTS.
        """
        comp, p, path = c.component, c.parameter, shape.path
        if comp in VALUE_COMPONENTS:
            nodes, v = self.value_nodes(shape, f)
            return f"{nodes} FILTER({self.fails(shape, c, v)})", v
        if comp in (SH.MinCountConstraintComponent, SH.MaxCountConstraintComponent):
            if path is None:
                raise ShapeError(f"{comp} on node shape {shape.node}")
            wanted = p if comp == SH.MinCountConstraintComponent else p + 1
            if wanted == 0:
                return None if comp == SH.MinCountConstraintComponent else (
                    f"{f} {sparql_path(path)} {self.var('x')} .", None)
            xs = [self.var("x") for _ in range(wanted)]
            triples = " ".join(f"{f} {sparql_path(path)} {x} ." for x in xs)
            distinct = " && ".join(f"!sameTerm({a}, {b})" for i, a in enumerate(xs)
                                   for b in xs[i + 1:])
            body = f"{triples} FILTER({distinct})" if distinct else triples
            if comp == SH.MinCountConstraintComponent:
                return _absent(body, xs[0], top), None
            return body, None
        if comp in (SH.QualifiedMinCountConstraintComponent,
                    SH.QualifiedMaxCountConstraintComponent):
            # Like min/maxCount, counting only the values that conform to the qualified
            # shape (and, when disjoint, to none of its siblings).
            minimum = comp == SH.QualifiedMinCountConstraintComponent
            wanted = p.count if minimum else p.count + 1
            if wanted == 0:
                return None
            if path is None:
                raise ShapeError(f"{comp} on node shape {shape.node}")
            xs = [self.var("q") for _ in range(wanted)]
            walk = sparql_path(path)
            tests = [f"!sameTerm({a}, {b})" for i, a in enumerate(xs) for b in xs[i + 1:]]
            for x in xs:
                tests.append(f"!{self.not_conforms(p.shape, x)}")
                tests += [self.not_conforms(s, x) for s in p.siblings]
            body = " ".join(f"{f} {walk} {x} ." for x in xs) + f" FILTER({' && '.join(tests)})"
            return (_absent(body, xs[0], top) if minimum else body), None
        if comp == SH.HasValueConstraintComponent:
            if path is None:
                return f"FILTER(!sameTerm({f}, {n3(p)}))", None
            h = self.var("h")
            return _absent(f"{f} {sparql_path(path)} {n3(p)} . BIND(true AS {h})", h, top), None
        if comp == SH.UniqueLangConstraintComponent:
            if not p or path is None:
                return None
            a, b = self.var("a"), self.var("b")
            walk = sparql_path(path)
            # One result per duplicated language (the witness), not one per focus node.
            witness = f" BIND(LCASE(LANG({a})) AS ?witness)" if top else ""
            return (f"{f} {walk} {a} . {f} {walk} {b} . FILTER(!sameTerm({a}, {b}) && "
                    f"isLiteral({a}) && LANG({a}) != \"\" && "
                    f"LCASE(LANG({a})) = LCASE(LANG({b}))){witness}"), None
        if comp in (SH.EqualsConstraintComponent, SH.DisjointConstraintComponent, *_PAIR_TESTS):
            return self.pair(shape, c, f, top)
        if comp == SH.ClosedConstraintComponent:
            o = self.var("o")
            allowed = ", ".join(n3(a) for a in sorted(p))
            test = f" FILTER(?rpath NOT IN ({allowed}))" if allowed else ""
            return f"{f} ?rpath {o} .{test}", o
        raise ShapeError(f"unsupported constraint {comp} in {shape.node}")

    def pair(self, shape: Shape, c: Constraint, f: str, top: bool = False) -> tuple[str, str]:
        comp, other = c.component, n3(c.parameter)
        nodes, v = self.value_nodes(shape, f)
        if comp == SH.EqualsConstraintComponent:
            if shape.path is None:
                # The value node is the focus node itself. One group (no UNION, whose
                # branches would not see ?this bound): case 1 reports the focus node when
                # it is not among the other values, case 2 each other value besides it.
                case, w, pv = self.var("eq"), self.var("w"), self.var("pv")
                return (f"VALUES {case} {{ 1 2 }} OPTIONAL {{ {f} {other} {w} . "
                        f"FILTER({case} = 2 && !sameTerm({w}, {f})) }} "
                        f"FILTER(({case} = 1 && NOT EXISTS {{ {f} {other} {f} }}) || "
                        f"BOUND({w})) BIND(IF({case} = 1, {f}, {w}) AS {pv})"), pv
            missing = f"{{ {nodes} FILTER NOT EXISTS {{ {f} {other} {v} }} }}"
            extra = (f"{{ {f} {other} {v} . FILTER NOT EXISTS "
                     f"{{ {f} {sparql_path(shape.path)} {v} }} }}")
            return f"{missing} UNION {extra}", v
        if comp == SH.DisjointConstraintComponent:
            return f"{nodes} {f} {other} {v} .", v
        w = self.var("w")
        # One result per (value, other value) pair that fails, as SHACL counts them.
        witness = f" BIND({w} AS ?witness)" if top else ""
        return (f"{nodes} {f} {other} {w} . FILTER(!COALESCE({v} {_PAIR_TESTS[comp]} {w}, "
                f"false)){witness}"), v

    # -- whole checks ------------------------------------------------------------------------
    def checks(self) -> list[Check]:
        checks: list[Check] = []
        for root in self.model.roots:
            self._walk(root, root, (), checks, [])
        return checks

    def _walk(self, root: Shape, shape: Shape, via: tuple[PathValue, ...],
              checks: list[Check], stack: list[Shape]) -> None:
        """The checks of ``shape`` and of the property shapes inside it, however deep: a
        property shape's own property shapes validate its value nodes."""
        for c in shape.constraints:
            check = self.check(len(checks), root, shape, c, via)
            if check is not None:
                checks.append(check)
        inner = via if shape.path is None else (*via, shape.path)
        for prop in shape.properties:
            if prop not in stack and len(inner) <= RECURSION_DEPTH:
                self._walk(root, prop, inner, checks, [*stack, shape])

    def check(self, key: int, root: Shape, shape: Shape, c: Constraint,
              via: tuple[PathValue, ...] = ()) -> Check | None:
        check = Check(key=key, root=root, shape=shape, constraint=c, via=via)
        if c.component == SH.SPARQLConstraintComponent:
            if via:
                raise ShapeError(f"SPARQL constraint in nested shape {shape.node} "
                                 "is not supported")
            check.query = self.sparql_query(root, shape, c)
            return check
        compiled = self.constraint(shape, c, "?this", top=True)
        if compiled is None:
            return None
        pattern, value = compiled
        check.witness = "?witness" in pattern
        bind_value = f" BIND({value} AS ?value)" if value else ""
        if via:
            # Focus nodes: the values reached from the root's focus nodes along ``via``.
            start = self.var("n")
            steps, node = [], start
            for i, step in enumerate(via):
                nxt = "?this" if i == len(via) - 1 else self.var("n")
                steps.append(f"{node} {sparql_path(step)} {nxt} .")
                node = nxt
            # ?origin: each root focus node validates the nested shape anew (SHACL reports
            # a value reached from two focus nodes twice).
            focus = (f"{{ SELECT DISTINCT ?this ?origin WHERE {{ "
                     f"{self.target(root.targets, start)} {' '.join(steps)} "
                     f"BIND({start} AS ?origin) }} }}")
            check.pattern = f"{focus} {pattern}{bind_value}"
        elif c.component in _STARTS_AT_VALUES and shape.path is not None:
            # Start from the predicate's triples (cheap when it is rare or absent), then
            # keep those whose subject is a focus node.
            # The subquery keeps the store from testing the target before the (cheap,
            # rarely true) value test.
            test = self.target_test(root.targets)
            witness = "?witness" if check.witness else ""
            inner = f"SELECT DISTINCT ?this {value or ''} {witness} WHERE {{ {pattern} }}"
            check.pattern = f"{{ {inner} }} FILTER({test}){bind_value}"
            check.needs_predicate = _single_predicate(shape.path)
        else:
            # Distinct focus nodes first: in a union default graph a triple repeated in many
            # graphs would otherwise be probed once per copy.
            focus = f"{{ SELECT DISTINCT ?this WHERE {{ {self.target(root.targets)} }} }}"
            check.pattern = f"{focus} {pattern}{bind_value}"
        return check

    def sparql_query(self, root: Shape, shape: Shape, c: Constraint) -> str:
        text: str = c.parameter
        for unsupported in ("$currentShape", "$shapesGraph"):
            if unsupported in text:
                raise ShapeError(f"{unsupported} in a SPARQL constraint is not supported")
        if "$PATH" in text:
            if shape.path is None:
                raise ShapeError(f"$PATH in the SPARQL constraint of node shape {shape.node}")
            text = text.replace("$PATH", f"({sparql_path(shape.path)})")
        text = re.sub(r"\$this\b", "?this", text)
        select = re.search(r"\bSELECT\b", text, re.IGNORECASE)
        brace = text.find("{", select.end() if select else 0)
        if select is None or brace < 0:
            raise ShapeError(f"cannot read the SPARQL constraint of {shape.node}")
        target = self.target(root.targets)
        return f"{text[:brace + 1]} {{ {target} }} {text[brace + 1:]}"


def _absent(pattern: str, bound: str, top: bool) -> str:
    """A test that ``pattern`` has no match (``bound`` is a variable it always binds)."""
    if top:
        return f"OPTIONAL {{ {pattern} }} FILTER(!BOUND({bound}))"
    return f"FILTER NOT EXISTS {{ {pattern} }}"


def _single_predicate(path: PathValue | None) -> URIRef | None:
    """The predicate a path cannot do without (for skipping checks on absent predicates)."""
    if isinstance(path, URIRef):
        return path
    if isinstance(path, InvPath) and isinstance(path.arg, URIRef):
        return path.arg
    return None
