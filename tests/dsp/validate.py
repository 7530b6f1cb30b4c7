"""Validate DSP messages against the shipped official 2025-1 JSON schemas, offline.

Every schema's ``$id`` is its published URL under https://w3id.org/dspace/2025/1/; the
registry serves each from the local copy, so ``$ref``s across files never reach the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

HERE = Path(__file__).parent
SCHEMAS = HERE / "schemas"
BASE = "https://w3id.org/dspace/2025/1/"
#: message kind -> schema file
KINDS = {
    "catalog": "catalog/catalog-schema.json",
    "dataset": "catalog/dataset-schema.json",
    "catalog-error": "catalog/catalog-error-schema.json",
    "catalog-request": "catalog/catalog-request-message-schema.json",
    "version": "common/protocol-version-schema.json",
}


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$id"] == BASE + path.relative_to(SCHEMAS).as_posix()
        resources.append((schema["$id"], Resource.from_contents(
            schema, default_specification=DRAFT201909)))
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft201909Validator:
    schema = json.loads((SCHEMAS / KINDS[kind]).read_text(encoding="utf-8"))
    return Draft201909Validator(schema, registry=_registry())


def errors(kind: str, document: Any) -> list[str]:
    """Every schema violation, as ``path: message`` lines (empty when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator(kind).iter_errors(document)]


def assert_valid(kind: str, document: Any) -> None:
    found = errors(kind, document)
    assert not found, f"not a valid DSP {kind}:\n" + "\n".join(found[:20])
