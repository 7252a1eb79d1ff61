"""The canonical package's errors.

CanonicalError
├── MoneyError            a value cannot be represented exactly in its currency
│   └── UnknownCurrency   not an ISO-4217 code we know the exponent of
├── TimeError             a naive or unparseable instant
└── StoreError            the store cannot do what was asked
    ├── StoreUnavailable  the database cannot be reached (callers answer 503 or retry)
    └── SchemaNotCurrent  the store's schema is missing, or not the one this code migrates to
"""

from __future__ import annotations


class CanonicalError(Exception):
    """Base of every error raised by `canonical`."""


class MoneyError(CanonicalError, ValueError):
    """A money value that cannot be represented exactly."""


class UnknownCurrency(MoneyError):
    """A currency code with no known minor-unit exponent."""


class TimeError(CanonicalError, ValueError):
    """A time value that is naive, or cannot be parsed."""


class StoreError(CanonicalError):
    """The store cannot do what was asked."""


class StoreUnavailable(StoreError):
    """The database cannot be reached; the operation may succeed later."""


class SchemaNotCurrent(StoreError):
    """The store has no schema yet, or one older or newer than this code's migrations."""
