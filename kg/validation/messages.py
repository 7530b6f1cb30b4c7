"""Words for people: what a constraint expects, and a default message when a shape has none."""

from __future__ import annotations

from kg.namespaces import SH
from kg.validation.compiler import Constraint, Shape
from kg.validation.report import short


def _shape_name(shape: Shape) -> str:
    label = shape.node if not hasattr(shape.node, "n3") else short(shape.node)
    return str(label)


def expectation(c: Constraint, shape: Shape) -> str:
    """What the constraint asks for, e.g. "at least 1 value", "class org:Organization"."""
    comp, p = c.component, c.parameter
    local = str(comp).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    texts = {
        "Class": lambda: f"an instance of {short(p)}",
        "Datatype": lambda: f"a literal of datatype {short(p)}",
        "NodeKind": lambda: f"node kind {short(p)}",
        "MinCount": lambda: f"at least {p} value{'s' if p != 1 else ''}",
        "MaxCount": lambda: f"at most {p} value{'s' if p != 1 else ''}",
        "MinExclusive": lambda: f"a value > {short(p)}",
        "MinInclusive": lambda: f"a value >= {short(p)}",
        "MaxExclusive": lambda: f"a value < {short(p)}",
        "MaxInclusive": lambda: f"a value <= {short(p)}",
        "MinLength": lambda: f"at least {p} characters",
        "MaxLength": lambda: f"at most {p} characters",
        "Pattern": lambda: f"text matching /{p}/",
        "LanguageIn": lambda: "a language among " + ", ".join(str(t) for t in p),
        "UniqueLang": lambda: "at most one value per language",
        "Equals": lambda: f"the same values as {short(p)}",
        "Disjoint": lambda: f"no value shared with {short(p)}",
        "LessThan": lambda: f"values less than those of {short(p)}",
        "LessThanOrEquals": lambda: f"values not greater than those of {short(p)}",
        "Not": lambda: f"a value that does not conform to {_shape_name(p)}",
        "And": lambda: "a value conforming to all of " + ", ".join(_shape_name(s) for s in p),
        "Or": lambda: "a value conforming to one of " + ", ".join(_shape_name(s) for s in p),
        "Xone": lambda: "a value conforming to exactly one of "
        + ", ".join(_shape_name(s) for s in p),
        "Node": lambda: f"a value conforming to {_shape_name(p)}",
        "HasValue": lambda: f"the value {short(p)}",
        "In": lambda: "one of " + ", ".join(short(t) for t in p),
        "Closed": lambda: "no properties other than " + ", ".join(short(t) for t in sorted(p)),
        "QualifiedMinCount": lambda: f"at least {p.count} value{'s' if p.count != 1 else ''} "
        f"conforming to {_shape_name(p.shape)}",
        "QualifiedMaxCount": lambda: f"at most {p.count} value{'s' if p.count != 1 else ''} "
        f"conforming to {_shape_name(p.shape)}",
        "SPARQL": lambda: "to pass the shape's SPARQL check",
    }
    make = texts.get(local)
    return make() if make else local


def default_message(c: Constraint, shape: Shape) -> str:
    """A message for a shape that has no sh:message of its own."""
    if c.component == SH.SPARQLConstraintComponent:
        return "the SPARQL constraint of the shape found a problem"
    what = f"{short(shape.path)} " if shape.path is not None else ""
    return f"{what}must have {expectation(c, shape)}".strip()
