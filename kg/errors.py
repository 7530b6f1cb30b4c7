"""One exception hierarchy for the whole project.

Every error a user can cause is a :class:`DskgError`. Each subclass carries the HTTP status
it maps to (the API turns them into RFC 9457 problems in one place, ``api/problems.py``) and
the CLI exit code (2 for unreadable input, 1 otherwise).
"""

from __future__ import annotations

from typing import Any


class DskgError(Exception):
    """Base class: a problem a user can read and act on."""

    status: int = 500
    title: str = "Internal error"
    exit_code: int = 1

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = extra

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 problem members (``type`` and ``instance`` are added by the API)."""
        return {"title": self.title, "status": self.status, "detail": self.message, **self.extra}


class BadRequest(DskgError):
    status = 400
    title = "Bad request"
    exit_code = 2


class ParseError(BadRequest):
    """Input that is not well-formed RDF/JSON; carries the position of the first error."""

    title = "Malformed input"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 format: str | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}", line=line, column=column, format=format)
        self.line = line
        self.column = column


class RemoteContextRefused(BadRequest):
    """A JSON-LD document names a remote @context we do not ship; we never fetch it."""

    title = "Remote JSON-LD context refused"


class QuerySyntaxError(BadRequest):
    title = "Malformed SPARQL"


class ServiceNotAllowed(BadRequest):
    """A SPARQL query calls SERVICE on an endpoint that is not allow-listed."""

    title = "SERVICE endpoint not allowed"
    status = 403


class Unauthorized(DskgError):
    status = 401
    title = "Authentication required"


class Forbidden(DskgError):
    status = 403
    title = "Forbidden"


class NotFound(DskgError):
    status = 404
    title = "Not found"


class NotAcceptable(DskgError):
    status = 406
    title = "Not acceptable"


class Conflict(DskgError):
    status = 409
    title = "Conflict"


class PreconditionFailed(DskgError):
    status = 412
    title = "Precondition failed"


class PayloadTooLarge(DskgError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(DskgError):
    status = 415
    title = "Unsupported media type"
    exit_code = 2


class ValidationFailed(DskgError):
    """The input is well-formed but violates the shapes; carries the SHACL report."""

    status = 422
    title = "Description does not conform to the shapes"

    def __init__(self, message: str, report: Any) -> None:
        super().__init__(message)
        self.report = report

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        problem["report"] = self.report.to_json()
        return problem


class OwnershipRefused(DskgError):
    """A write states what it does not own, or changes what its writer does not hold
    (DESIGN 4a); ``refusals`` names, per description, each offending triple and its owner."""

    status = 422
    title = "Write refused: not the owner"

    def __init__(self, refusals: dict[Any, list[str]], *, status: int | None = None) -> None:
        first = next(iter(refusals.values()))[0] if refusals else "refused"
        count = sum(len(r) for r in refusals.values())
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}",
                         refusals=[{"description": str(name), "reasons": reasons}
                                   for name, reasons in refusals.items()])
        self.refusals = refusals
        if status is not None:
            self.status = status


class QueryTimeout(DskgError):
    status = 503
    title = "Query timed out"


class ResultTooLarge(DskgError):
    status = 413
    title = "Result over the configured cap"


class StoreUnavailable(DskgError):
    status = 503
    title = "Store unavailable"


class ConfigError(DskgError):
    title = "Configuration error"
    exit_code = 2
