"""Search by prefix: the search_terms table and shipments.search_text, filled from
the stored shipments; the listing's index carries search_text (PostgreSQL: INCLUDE).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shipgraph.codec import Undecodable, decode_shipment
from shipgraph.store.search import search_terms, search_text

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# text compared by code point (PostgreSQL: collation "C"), so a prefix is a range
ORDERED_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")
BACKFILL_BATCH = 1000


def upgrade() -> None:
    op.add_column(
        "shipments", sa.Column("search_text", ORDERED_TEXT, nullable=False, server_default="")
    )
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
    # built after the backfill: one sort instead of a million inserts into them
    op.create_index(
        "search_terms_by_term",
        "search_terms",
        ["tenant", "term", "created_us", "shipment_id"],
    )
    op.drop_index("shipments_listing", "shipments")
    op.create_index(
        "shipments_listing",
        "shipments",
        ["tenant", "created_us", "id"],
        postgresql_include=["search_text"],
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
        sa.column("search_text", ORDERED_TEXT),
    )
    terms_table = sa.table(
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
        texts = []
        for row in rows:
            try:
                shipment = decode_shipment(row.document)
            except Undecodable:
                continue
            terms = search_terms(shipment)
            texts.append({"t": row.tenant, "i": row.id, "text": search_text(terms)})
            found += [
                {
                    "tenant": row.tenant,
                    "shipment_id": row.id,
                    "term": term,
                    "created_us": row.created_us,
                }
                for term in sorted(terms)
            ]
        if found:
            bind.execute(sa.insert(terms_table), found)
        if texts:
            this = sa.and_(
                shipments.c.tenant == sa.bindparam("t"), shipments.c.id == sa.bindparam("i")
            )
            bind.execute(
                sa.update(shipments).where(this).values(search_text=sa.bindparam("text")), texts
            )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("shipments_listing", "shipments")
    op.create_index("shipments_listing", "shipments", ["tenant", "created_us", "id"])
    op.drop_table("search_terms")
    with op.batch_alter_table("shipments") as batch:
        batch.drop_column("search_text")
