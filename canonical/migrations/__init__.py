"""Alembic migrations of the canonical store (run through `canonical.store.migrate`)."""
