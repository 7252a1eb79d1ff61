"""The mappings package's errors.

    CanonicalError                      (canonical.errors)
    └── MappingError (+ ValueError)     a payload cannot be mapped: a required field is missing,
                                        a value has the wrong type, or an amount is not exact

A `MappingError` names the source, the object name, the vendor id (when the payload had one), the
field at fault and the reason. When a `MoneyError` or `TimeError` caused it, that error is the
`__cause__` and also `cause`, so callers can tell "not exact" from "missing".
"""

from __future__ import annotations

from canonical.errors import CanonicalError


class MappingError(CanonicalError, ValueError):
    """One vendor payload that cannot become canonical records."""

    def __init__(
        self,
        source: str,
        obj: str,
        id: str | None,
        reason: str,
        *,
        field: str | None = None,
        cause: Exception | None = None,
    ) -> None:
        self.source = source
        self.obj = obj
        self.id = id
        self.reason = reason
        self.field = field
        self.cause = cause
        where = f"{source} {obj} {id}" if id else f"{source} {obj} (no id)"
        super().__init__(f"{where}: {reason}")
