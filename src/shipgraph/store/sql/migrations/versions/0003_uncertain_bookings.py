"""Bookings whose create got no answer, kept in the database (they were a cache entry:
lost with Redis, or per process without it, so a retry could book twice).

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uncertain_bookings",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "carrier", "reference", name="uncertain_bookings_pkey"),
    )
    op.create_index(
        "uncertain_bookings_expiry", "uncertain_bookings", ["tenant", "expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("uncertain_bookings_expiry", table_name="uncertain_bookings")
    op.drop_table("uncertain_bookings")
