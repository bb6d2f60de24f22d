"""Search by prefix: the search_terms table, filled from the stored shipments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shipgraph.codec import Undecodable, decode_shipment
from shipgraph.store.search import search_terms

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# text compared by code point (PostgreSQL: collation "C"), so a prefix is a range
ORDERED_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")
BACKFILL_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("shipment_id", ORDERED_TEXT, nullable=False),
        sa.Column("term", ORDERED_TEXT, nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "shipment_id", "term", name="search_terms_pkey"),
        sa.ForeignKeyConstraint(
            ["tenant", "shipment_id"],
            ["shipments.tenant", "shipments.id"],
            name="search_terms_shipment_fkey",
            ondelete="CASCADE",
        ),
    )
    _backfill()
    # built after the backfill: one sort instead of a million inserts into it
    op.create_index(
        "search_terms_by_term",
        "search_terms",
        ["tenant", "term", "created_us", "shipment_id"],
    )


def _backfill() -> None:
    """Every stored shipment's terms; an unreadable record has none (the store
    reports it when it is read)."""
    bind = op.get_bind()
    shipments = sa.table(
        "shipments",
        sa.column("tenant", sa.String()),
        sa.column("id", ORDERED_TEXT),
        sa.column("created_us", sa.BigInteger()),
        sa.column("document", sa.LargeBinary()),
    )
    terms = sa.table(
        "search_terms",
        sa.column("tenant", sa.String()),
        sa.column("shipment_id", ORDERED_TEXT),
        sa.column("term", ORDERED_TEXT),
        sa.column("created_us", sa.BigInteger()),
    )
    last: str | None = None
    while True:
        query = sa.select(shipments).order_by(shipments.c.id).limit(BACKFILL_BATCH)
        if last is not None:
            query = query.where(shipments.c.id > last)
        rows = bind.execute(query).all()
        if not rows:
            return
        found = []
        for row in rows:
            try:
                shipment = decode_shipment(row.document)
            except Undecodable:
                continue
            found += [
                {
                    "tenant": row.tenant,
                    "shipment_id": row.id,
                    "term": term,
                    "created_us": row.created_us,
                }
                for term in sorted(search_terms(shipment))
            ]
        if found:
            bind.execute(sa.insert(terms), found)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_table("search_terms")
