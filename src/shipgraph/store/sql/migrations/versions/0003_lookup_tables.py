"""Tenant tables keyed by tenant alone, so they can be distributed by tenant: the
cross-tenant unique keys of shipments (its id, the carrier's id) move to lookup
tables, and no table keeps a foreign key to shipments (the store writes them
together; a distributed table cannot be referenced from a local one); every carrier update
applied is recorded (tracking_events); and bookings whose create got no answer are
kept here (they were a cache entry: lost with Redis, or per process without it, so
a retry could book twice).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDERED_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "shipment_ids",
        sa.Column("id", ORDERED_TEXT, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="shipment_ids_pkey"),
    )
    op.create_table(
        "carrier_ids",
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("carrier_shipment_id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "carrier_shipment_id", name="carrier_ids_pkey"),
    )
    op.execute("INSERT INTO shipment_ids (id, tenant) SELECT id, tenant FROM shipments")
    op.execute(
        "INSERT INTO carrier_ids (carrier, carrier_shipment_id, tenant, shipment_id) "
        "SELECT carrier, carrier_shipment_id, tenant, id FROM shipments"
    )
    # The foreign keys go before shipments is altered: SQLite alters a table by copying
    # it and dropping the old one, and that drop would cascade to every row they hold.
    for table in ("tracking_numbers", "poll_leases", "search_terms"):
        with op.batch_alter_table(table) as altered:
            altered.drop_constraint(f"{table}_shipment_fkey", type_="foreignkey")
    with op.batch_alter_table("shipments") as shipments:
        shipments.drop_constraint("shipments_id_key", type_="unique")
        shipments.drop_constraint("shipments_carrier_id_key", type_="unique")

    op.create_table(
        "tracking_events",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("carrier_status", sa.String(), nullable=True),
        sa.Column("occurred_us", sa.BigInteger(), nullable=True),
        sa.Column("applied_us", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "shipment_id", "event_id", name="tracking_events_pkey"),
    )
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
    op.drop_table("tracking_events")
    with op.batch_alter_table("shipments") as shipments:
        shipments.create_unique_constraint(
            "shipments_carrier_id_key", ["carrier", "carrier_shipment_id"]
        )
        shipments.create_unique_constraint("shipments_id_key", ["id"])
    # after shipments is altered (on SQLite, copied): see upgrade
    for table in ("search_terms", "poll_leases", "tracking_numbers"):
        with op.batch_alter_table(table) as altered:
            altered.create_foreign_key(
                f"{table}_shipment_fkey",
                "shipments",
                ["tenant", "shipment_id"],
                ["tenant", "id"],
                ondelete="CASCADE",
            )
    op.drop_table("carrier_ids")
    op.drop_table("shipment_ids")
