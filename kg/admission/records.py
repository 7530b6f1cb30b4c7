"""Where submissions live while they wait: a small SQLite database beside the node's store.

Pending submissions must never be seen by queries, lists, search or policy decisions, which
all read the union of the store's named graphs. So they are not kept in the store at all:
each submission (its body as sent, its parsed and normalised quads, its report and checks,
its history) is a row of ``<store directory>.submissions.sqlite`` (or
``DSKG_SUBMISSIONS_FILE``; in memory for ``DSKG_STORE=memory`` or a remote store without
that variable). Only a decision reaches the store: admission commits the descriptions and
its provenance in one transaction, rejection a provenance record.

An admission is journaled here: the row is marked ``admitting`` before the store commit and
``admitted`` after; a node that died between the two finds the commit (or its absence) in
the meta graph when it opens the database again and finishes (or undoes) the step.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg.settings import Settings

STATUSES = ("pending", "needs-changes", "admitting", "admitted", "rejected")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS submission (
  id TEXT PRIMARY KEY, applicant TEXT NOT NULL, applicant_agent TEXT NOT NULL,
  status TEXT NOT NULL,
  created TEXT NOT NULL, updated TEXT NOT NULL, version INTEGER NOT NULL,
  body BLOB NOT NULL, media_type TEXT NOT NULL, quads TEXT NOT NULL,
  dataspace TEXT, label TEXT, countries TEXT NOT NULL DEFAULT '[]',
  is_update INTEGER NOT NULL DEFAULT 0,
  report TEXT NOT NULL, checks TEXT NOT NULL,
  reason TEXT, decided_by TEXT, decided TEXT);
CREATE TABLE IF NOT EXISTS event (
  submission TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, agent TEXT NOT NULL,
  event TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, note TEXT,
  PRIMARY KEY (submission, seq));
CREATE INDEX IF NOT EXISTS by_status ON submission (status, created);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Submission:
    id: str
    applicant: str  # the token's subject: who may read and correct it (never published)
    applicant_agent: str  # the applicant as provenance names it (role and token hash)
    status: str
    created: str
    updated: str
    version: int
    body: bytes
    media_type: str
    quads: str
    dataspace: str | None
    label: str | None
    countries: list[str]
    is_update: bool
    report: dict[str, Any]
    checks: list[dict[str, Any]]
    reason: str | None = None
    decided_by: str | None = None
    decided: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return f'"{self.id}-{self.version}"'


def submissions_file(settings: Settings) -> Path | None:
    explicit = os.environ.get("DSKG_SUBMISSIONS_FILE")
    if explicit:
        return Path(explicit)
    if settings.store == "memory" or settings.store_is_remote:
        return None
    store = Path(settings.store)
    return store.with_name(store.name + ".submissions.sqlite")


class SubmissionBook:
    """The submissions of one node (thread-safe; one connection, serialised)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False,
                                   isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
            self._db.executescript(_SCHEMA)

    # -- reads ---------------------------------------------------------------------------
    def get(self, submission_id: str) -> Submission | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM submission WHERE id = ?",
                                   (submission_id,)).fetchone()
            if row is None:
                return None
            events = self._db.execute(
                "SELECT * FROM event WHERE submission = ? ORDER BY seq",
                (submission_id,)).fetchall()
        found = _from_row(row)
        found.history = [{"at": e["at"], "agent": e["agent"], "event": e["event"],
                          "status": e["status"], "version": e["version"],
                          **({"note": e["note"]} if e["note"] else {})} for e in events]
        return found

    def page(self, *, status: str | None, applicant: str | None, limit: int, offset: int
             ) -> tuple[int, list[Submission]]:
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if applicant is not None:
            where.append("applicant = ?")
            args.append(applicant)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM submission{clause}",
                                     args).fetchone()[0]
            rows = self._db.execute(
                f"SELECT * FROM submission{clause} ORDER BY created, id LIMIT ? OFFSET ?",
                [*args, limit, offset]).fetchall()
        return int(total), [_from_row(r) for r in rows]

    def all_with_status(self, *statuses: str) -> list[Submission]:
        marks = ", ".join("?" for _ in statuses)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM submission WHERE status IN ({marks}) ORDER BY decided DESC, id",
                statuses).fetchall()
        return [_from_row(r) for r in rows]

    # -- writes --------------------------------------------------------------------------
    def create(self, *, applicant: str, agent: str, body: bytes, media_type: str, quads: str,
               dataspace: str | None, label: str | None, countries: list[str],
               is_update: bool, status: str, report: dict, checks: list[dict]) -> str:
        submission_id = uuid.uuid4().hex[:12]
        at = now()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO submission (id, applicant, applicant_agent, status, created, updated,"
                " version, body, media_type, quads, dataspace, label, countries, is_update,"
                " report, checks) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (submission_id, applicant, agent, status, at, at, body, media_type, quads,
                 dataspace, label, json.dumps(countries), int(is_update), json.dumps(report),
                 json.dumps(checks)))
            self._event(submission_id, agent, "submitted", status, 1, None, at)
            self._db.execute("COMMIT")
        return submission_id

    def replace(self, submission_id: str, expected_version: int, *, agent: str, body: bytes,
                media_type: str, quads: str, dataspace: str | None, label: str | None,
                countries: list[str], is_update: bool, status: str, report: dict,
                checks: list[dict], event: str = "resubmitted") -> bool:
        """Replace the content if the version is still ``expected_version`` (If-Match)."""
        at = now()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            changed = self._db.execute(
                "UPDATE submission SET body = ?, media_type = ?, quads = ?, dataspace = ?,"
                " label = ?, countries = ?, is_update = ?, status = ?, report = ?, checks = ?,"
                " updated = ?, version = version + 1 WHERE id = ? AND version = ?"
                " AND status IN ('pending', 'needs-changes')",
                (body, media_type, quads, dataspace, label, json.dumps(countries),
                 int(is_update), status, json.dumps(report), json.dumps(checks), at,
                 submission_id, expected_version)).rowcount
            if changed:
                self._event(submission_id, agent, event, status, expected_version + 1, None,
                            at)
            self._db.execute("COMMIT")
        return bool(changed)

    def set_status(self, submission_id: str, *, expected: tuple[str, ...], status: str,
                   agent: str, event: str, reason: str | None = None,
                   decided: bool = False) -> bool:
        """Move a submission to ``status`` if it is in one of ``expected``; one event."""
        at = now()
        marks = ", ".join("?" for _ in expected)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                f"SELECT version FROM submission WHERE id = ? AND status IN ({marks})",
                (submission_id, *expected)).fetchone()
            if row is not None:
                extra = ", reason = ?, decided_by = ?, decided = ?" if decided else ""
                values = (reason, agent, at) if decided else ()
                self._db.execute(f"UPDATE submission SET status = ?, updated = ?{extra} "
                                 "WHERE id = ?", (status, at, *values, submission_id))
                self._event(submission_id, agent, event, status, row["version"], reason, at)
            self._db.execute("COMMIT")
        return row is not None

    def _event(self, submission_id: str, agent: str, event: str, status: str, version: int,
               note: str | None, at: str) -> None:
        seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM event WHERE "
                               "submission = ?", (submission_id,)).fetchone()[0]
        self._db.execute("INSERT INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (submission_id, seq, at, agent, event, status, version, note))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _from_row(row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"], applicant=row["applicant"], applicant_agent=row["applicant_agent"],
        status=row["status"], created=row["created"],
        updated=row["updated"], version=row["version"], body=row["body"],
        media_type=row["media_type"], quads=row["quads"], dataspace=row["dataspace"],
        label=row["label"], countries=json.loads(row["countries"]),
        is_update=bool(row["is_update"]), report=json.loads(row["report"]),
        checks=json.loads(row["checks"]), reason=row["reason"], decided_by=row["decided_by"],
        decided=row["decided"])
