"""The shipment store's tables: shipments, tracking numbers, poll leases,
idempotency keys and orphan events.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ids compare by code point, as the listing's cursors do (PostgreSQL: collation "C")
ORDERED_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("id", ORDERED_TEXT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("carrier_shipment_id", sa.String(), nullable=False),
        sa.Column("tracking_number", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="shipments_pkey"),
        sa.UniqueConstraint("id", name="shipments_id_key"),
        sa.UniqueConstraint("carrier", "carrier_shipment_id", name="shipments_carrier_id_key"),
    )
    for name, *columns in [
        ("shipments_listing", "tenant", "created_us", "id"),
        ("shipments_by_carrier", "tenant", "carrier", "created_us", "id"),
        ("shipments_by_status", "tenant", "status", "created_us", "id"),
        ("shipments_by_reference", "tenant", "reference", "created_us", "id"),
        ("shipments_by_tracking_number", "tenant", "tracking_number", "created_us", "id"),
    ]:
        op.create_index(name, "shipments", columns)

    op.create_table(
        "tracking_numbers",
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("tracking_number", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "tracking_number", name="tracking_numbers_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant", "shipment_id"],
            ["shipments.tenant", "shipments.id"],
            name="tracking_numbers_shipment_fkey",
            ondelete="CASCADE",
        ),
    )
    op.create_index("tracking_numbers_by_shipment", "tracking_numbers", ["tenant", "shipment_id"])

    op.create_table(
        "poll_leases",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("fresh_ms", sa.BigInteger(), nullable=False),
        sa.Column("prior_fresh_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "shipment_id", name="poll_leases_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant", "shipment_id"],
            ["shipments.tenant", "shipments.id"],
            name="poll_leases_shipment_fkey",
            ondelete="CASCADE",
        ),
    )
    op.create_index("poll_leases_due", "poll_leases", ["carrier", "fresh_ms", "shipment_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("request_hash", sa.String(), nullable=True),
        sa.Column("shipment_id", sa.String(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "key", name="idempotency_keys_pkey"),
    )
    op.create_index("idempotency_keys_expiry", "idempotency_keys", ["tenant", "expires_at"])

    op.create_table(
        "orphan_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("carrier_shipment_id", sa.String(), nullable=True),
        sa.Column("tracking_number", sa.String(), nullable=True),
        sa.Column("event", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    for name, *columns in [
        ("orphan_events_by_carrier_id", "carrier", "carrier_shipment_id"),
        ("orphan_events_by_tracking_number", "carrier", "tracking_number"),
        ("orphan_events_expiry", "expires_at"),
    ]:
        op.create_index(name, "orphan_events", columns)


def downgrade() -> None:
    for table in (
        "orphan_events",
        "idempotency_keys",
        "poll_leases",
        "tracking_numbers",
        "shipments",
    ):
        op.drop_table(table)
