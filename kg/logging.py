"""Logs: plain text by default, one JSON object per line with ``DSKG_LOG_FORMAT=json``.

``DSKG_LOG_FORMAT`` (text | json) and ``DSKG_LOG_LEVEL`` (debug | info | warning | error) are
checked at start (ConfigError naming the variable). Whatever the format, every handler
installed here masks bearer tokens, ``Authorization`` values and the configured admin token,
so a token never reaches a log line, even inside an exception message.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from kg.errors import ConfigError

LOG_FORMATS = ("text", "json")
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
              "error": logging.ERROR}
REDACTED = "[redacted]"
#: The loggers a server writes to (ours, uvicorn's); JSON mode takes them all over.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "dskg")
QUIET_LOGGERS = ("httpx", "httpcore")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[^\s\"',;}\]]+")
_AUTHORIZATION = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,}]+")
#: LogRecord attributes that are not extra fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message", "taskName"}


def log_format(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    value = (env.get("DSKG_LOG_FORMAT") or "text").strip().lower()
    if value not in LOG_FORMATS:
        raise ConfigError(f"DSKG_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                          f"got {env.get('DSKG_LOG_FORMAT')!r}")
    return value


def log_level(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    value = (env.get("DSKG_LOG_LEVEL") or "info").strip().lower()
    if value not in LOG_LEVELS:
        raise ConfigError(f"DSKG_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                          f"got {env.get('DSKG_LOG_LEVEL')!r}")
    return LOG_LEVELS[value]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with bearer tokens, Authorization values and ``secrets`` masked."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + REDACTED, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class RedactTokens(logging.Filter):
    """Masks tokens in the formatted message, the extra fields and the exception text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info),
                                     self.secrets)
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) \
                    else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str | None = None, *, level: int | None = None,
              secrets: Iterable[str] = (), stream: Any = None) -> logging.Handler:
    """Send the server's logs to ``stream`` (stderr) in ``fmt``, tokens masked.

    JSON mode replaces the handlers of the root logger and of uvicorn's loggers, so every
    line on stderr is one JSON object; text mode keeps uvicorn's own lines and only adds
    the masking handler to the root logger. Returns the handler installed.
    """
    fmt = fmt or log_format()
    level = log_level() if level is None else level
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens(secrets))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if getattr(h, "_dskg", False) is False]
    handler._dskg = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for chatty in QUIET_LOGGERS:  # one INFO line per outgoing request (harvests) is noise
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    if fmt == "json":
        for name in SERVER_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True
            logger.setLevel(level)
        # Our access log (with durations) replaces uvicorn's text lines.
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    return handler
