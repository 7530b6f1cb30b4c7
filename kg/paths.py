"""Where the shipped ontology/ and shapes/ live: the source tree, or an installed wheel's copy."""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    """The folder holding ontology/ and shapes/ (setup.py copies both into kg/resources/)."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent, package / "resources"):
        if (candidate / "ontology").is_dir() and (candidate / "shapes").is_dir():
            return candidate
    raise FileNotFoundError("ontology/ and shapes/ not found next to the kg package")
