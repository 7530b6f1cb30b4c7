"""Checking a catalog dump's own triples in a second process while this one splits it.

Splitting a portal's single-file dump into descriptions (``kg.split``) keeps one core busy
in Python for about as long as the engine's bulk load of the whole file. What the bulk
route needs besides the split comes from a scratch copy of the same triples: the
validation report (the descriptions of a dump together are the file's triples) and where
each root sits (its owner). Into an empty store (a node's first load of a portal's
catalog) nothing else is needed, so a spawned process loads the file into its own scratch
store, validates it and places every node, on the other core, while this one splits.

Spawned, not forked: the parent holds engine and query threads, which a fork would copy
mid-flight. The child reads only the bytes it is given, never the node's store.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType

from rdflib import URIRef
from rdflib.term import Node

from kg import ownership, validation
from kg.errors import DskgError
from kg.store import memory_store
from kg.validation.report import ValidationReport

Places = dict[URIRef, dict[str, set[Node]]]


@dataclass
class FileVerdict:
    """What the check found: the validation report of the file's triples (warnings counted,
    not listed) and the placement of every node that sits in a data space or tier."""

    report: ValidationReport
    places: Places


def _check(conn: Connection, data: bytes, fmt: str, base_iri: str) -> None:
    """The child: load, validate, place, answer (an exception is answered too)."""
    try:
        staging = memory_store()
        staging.bulk_import(data, fmt, base_iri=base_iri)
        report = validation.validate_store(staging, list_warnings=False)
        conn.send(FileVerdict(report, ownership.placements(staging, None, whole=True)))
    except BaseException as exc:  # the parent re-raises it
        conn.send(exc)
    finally:
        conn.close()


class FileCheck:
    """The check of one file, running in a spawned process from construction::

        with FileCheck(data, "turtle", base_iri) as check:
            ... split ...
            verdict = check.result()

    Leaving the block without asking for the result stops the process.
    """

    def __init__(self, data: bytes, fmt: str, base_iri: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(target=_check, args=(child, data, fmt, base_iri),
                                        name="dskg-dump-check", daemon=True)
        self._process.start()
        child.close()  # the child holds its end: EOF here when it dies without answering
        self._verdict: FileVerdict | None = None

    def result(self) -> FileVerdict:
        """Wait for the child's answer; its exception is raised here."""
        if self._verdict is None:
            try:
                answer = self._conn.recv()
            except EOFError:
                self._process.join()
                raise DskgError("the check of the dump ended without an answer (exit code "
                                f"{self._process.exitcode})") from None
            finally:
                self._conn.close()
            self._process.join()
            if isinstance(answer, BaseException):
                raise answer
            self._verdict = answer
        return self._verdict

    def cancel(self) -> None:
        """Stop the check (its answer is no longer wanted)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._conn.close()

    def __enter__(self) -> FileCheck:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._verdict is None:
            self.cancel()
