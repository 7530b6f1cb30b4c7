"""The submission book of each store, and settling admissions a stopped node left half-way
(opening a book settles them against the store's meta graph, the admission's commit point)."""

from __future__ import annotations

import threading
import weakref

from rdflib import URIRef

from kg.admission.records import SubmissionBook, submissions_file
from kg.namespaces import META_GRAPH, PROV
from kg.settings import Settings
from kg.store import Store
from kg.store.sparql_text import term_n3

_BOOKS: weakref.WeakKeyDictionary[Store, SubmissionBook] = weakref.WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def book_for(store: Store, settings: Settings) -> SubmissionBook:
    """The one submission book of ``store`` (opened on first use, interrupted admissions
    settled against the store's meta graph)."""
    with _BOOKS_LOCK:
        book = _BOOKS.get(store)
        if book is None:
            book = _BOOKS[store] = SubmissionBook(submissions_file(settings))
            settle_interrupted(store, book, settings.base_iri)
        return book


def admitted_in_store(store: Store, iri: URIRef) -> bool:
    """Whether the admission of the submission ``iri`` reached the store (its commit)."""
    return bool(store.query(
        f"ASK {{ GRAPH {term_n3(URIRef(META_GRAPH))} {{ ?g {term_n3(PROV.wasGeneratedBy)} "
        f"{term_n3(URIRef(f'{iri}#decision'))} }} }}").boolean)


def settle_interrupted(store: Store, book: SubmissionBook, base_iri: str) -> list[str]:
    """Finish or undo admissions a stopped node left half-way (status ``admitting``): the
    store's transaction is the commit point. Returns the ids settled."""
    settled = []
    for submission in book.all_with_status("admitting"):
        iri = URIRef(f"{base_iri}submissions/{submission.id}")
        if admitted_in_store(store, iri):
            book.set_status(submission.id, expected=("admitting",), status="admitted",
                            agent="node", event="admitted", decided=True,
                            reason="admitted; the node stopped before the steward token was "
                            "issued: issue one with dskg token create --role steward "
                            f"--dataspace {submission.dataspace}")
        else:
            book.set_status(submission.id, expected=("admitting",), status="pending",
                            agent="node", event="admission-undone")
        settled.append(submission.id)
    return settled
