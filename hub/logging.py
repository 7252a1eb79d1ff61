"""Structured logs: JSON in production, readable on a terminal, and never a secret.

Every log line goes through `redact_secrets`, which masks values of keys that look secret and any
string that looks like a vendor credential (Stripe keys and webhook secrets, bearer tokens), so a
careless `log.info("calling", headers=headers)` cannot leak one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEYS = re.compile(
    r"(secret|token|password|authorization|api[_-]?key|signature|cookie)", re.IGNORECASE
)
_SECRET_VALUES = re.compile(
    r"(sk|rk|pk)_(test|live)_[A-Za-z0-9]{4,}|whsec_[A-Za-z0-9+/=]{4,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,}"
)
MASK = "***"


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET_VALUES.sub(MASK, value)
    if isinstance(value, dict):
        return {k: MASK if _SECRET_KEYS.search(str(k)) else _mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if _SECRET_KEYS.search(key):
            event_dict[key] = MASK
        else:
            event_dict[key] = _mask(event_dict[key])
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # Looked up per logger, not at configure time, so a redirected stderr is honoured.
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    """Configure structlog and the stdlib root logger once, for the CLI, gateway and workers."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger,
        # Not cached: a cached logger would keep writing to a stderr that was since replaced.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
