"""drop the unused invoice lookup indexes

Nothing queries invoices by `number` or `party_id` in SQL: the reconciler loads whole tables into
memory and matches there. Each index cost the bulk upsert about a fifth of its COPY time.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_invoices_party_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_number"), table_name="invoices")


def downgrade() -> None:
    op.create_index(op.f("ix_invoices_number"), "invoices", ["number"], unique=False)
    op.create_index(op.f("ix_invoices_party_id"), "invoices", ["party_id"], unique=False)
