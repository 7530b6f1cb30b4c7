"""Checking a catalog dump's own triples in a second process while this one splits it.

Splitting a portal's single-file dump into descriptions (``kg.split``) keeps one core busy
in Python for about as long as the engine's bulk load of the whole file. What the bulk
route needs besides the split comes from a scratch copy of the same triples: the
validation report (the descriptions of a dump together are the file's triples) and where
each root sits (its owner). Into an empty store (a node's first load of a portal's
catalog) nothing else is needed, so a second Python process loads the file into its own
scratch store, validates it and places every node, on the other core, while this one
splits.

The second process is ``python -m kg.write.filecheck IN OUT FORMAT BASE``: a fresh
interpreter (a fork would copy the engine's and the query runners' threads mid-flight, and
multiprocessing's spawn would re-run the caller's main module). It reads the file IN and
writes its answer, a pickled ``FileVerdict`` or exception, to OUT. It never opens the
node's store.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from rdflib import URIRef
from rdflib.term import Node

from kg.errors import DskgError
from kg.validation.report import ValidationReport

Places = dict[URIRef, dict[str, set[Node]]]


@dataclass
class FileVerdict:
    """What the check found: the validation report of the file's triples (warnings counted,
    not listed) and the placement of every node that sits in a data space or tier."""

    report: ValidationReport
    places: Places


class FileCheck:
    """The check of one file, running in a second process from construction::

        with FileCheck(data, "turtle", base_iri) as check:
            ... split ...
            verdict = check.result()

    Leaving the block without asking for the result stops the process.
    """

    def __init__(self, data: bytes, fmt: str, base_iri: str) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="dskg-check-")
        folder = Path(self._folder.name)
        source, self._answer = folder / "input", folder / "answer"
        source.write_bytes(data)
        self._errors = (folder / "errors").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "kg.write.filecheck", str(source), str(self._answer), fmt,
             base_iri], stdin=subprocess.DEVNULL, stdout=self._errors, stderr=self._errors,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
        self._verdict: FileVerdict | None = None

    def result(self) -> FileVerdict:
        """Wait for the answer; the exception the check raised is raised here."""
        if self._verdict is None:
            try:
                code = self._process.wait()
                if code != 0 or not self._answer.exists():
                    self._errors.flush()
                    said = Path(self._errors.name).read_text("utf-8", "replace").strip()
                    raise DskgError(f"the check of the dump failed (exit code {code}): "
                                    f"{said.splitlines()[-1] if said else 'no message'}")
                answer = pickle.loads(self._answer.read_bytes())
            finally:
                self._close()
            if isinstance(answer, BaseException):
                raise answer
            self._verdict = answer
        return self._verdict

    def cancel(self) -> None:
        """Stop the check (its answer is no longer wanted)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._close()

    def _close(self) -> None:
        self._errors.close()
        self._folder.cleanup()

    def __enter__(self) -> FileCheck:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._verdict is None:
            self.cancel()


def check_file(source: Path, fmt: str, base_iri: str) -> FileVerdict:
    """Load the file into a scratch store, validate it, place its nodes."""
    from kg import ownership, validation
    from kg.store import memory_store

    staging = memory_store()
    staging.bulk_import(source.read_bytes(), fmt, base_iri=base_iri)
    report = validation.validate_store(staging, list_warnings=False)
    return FileVerdict(report, ownership.placements(staging, None, whole=True))


def _main(argv: list[str]) -> None:
    source, answer, fmt, base_iri = argv
    try:
        outcome: FileVerdict | BaseException = check_file(Path(source), fmt, base_iri)
    except Exception as exc:  # answered: the parent raises it (as itself, if it pickles)
        outcome = exc
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            outcome = DskgError(f"the check of the dump failed: {type(exc).__name__}: {exc}")
    Path(answer).write_bytes(pickle.dumps(outcome))


if __name__ == "__main__":
    # Run as the module's importable self, so that the answer pickles with its real name.
    from kg.write import filecheck

    filecheck._main(sys.argv[1:])
