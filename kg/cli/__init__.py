"""`dskg`: the command-line interface. Each area registers its commands on ``app``."""

from __future__ import annotations

from kg.cli import core  # noqa: F401  (registers commands)
from kg.cli.app import app

AREAS = ("validate", "policy", "gaiax", "federation", "operations", "tokens")


def _register_areas() -> None:
    import importlib
    import importlib.util

    for area in AREAS:
        if importlib.util.find_spec(f"kg.cli.{area}") is not None:
            importlib.import_module(f"kg.cli.{area}")


_register_areas()


def main() -> None:
    app()


__all__ = ["app", "main"]
