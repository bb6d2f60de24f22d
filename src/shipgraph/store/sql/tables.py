"""The SQL schema of the shipment store (SQLAlchemy Core), one for both dialects.

Every key and index of a tenant's data leads with ``tenant``, so those tables
(shipments, search terms, tracking events, idempotency keys, uncertain bookings) can
be distributed by tenant (Citus) as they are. What must be unique or found across
tenants lives in lookup tables of its own, each naming the tenant and shipment it
points at: an id's owner (``shipment_ids``), the carrier's id (``carrier_ids``), the
tracking number (``tracking_numbers``), the due polls (``poll_leases``); and the
early events, which belong to no tenant yet (``orphan_events``). No table has a
foreign key (a distributed table cannot be referenced from one that is not): the
store writes a shipment and its rows elsewhere in one transaction.

A shipment's whole document is the codec's JSON, kept as bytes exactly as written
(``document``): reads hand it to the codec without a re-encoding, and a record
damaged by hand stays readable as bytes so the store can report it as corrupt. The
other columns are copies of the document's fields that filters, lookups and the
listing order need. Its tracking logs are in the document too, as the API reads
them; every carrier update applied to it is also kept as it came, one row each, in
``tracking_events``: the record of what each carrier said, and what makes a replayed
webhook a no-op however old it is.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def ordered_text() -> sa.types.TypeEngine[str]:
    """Text compared by code point, as the listing's cursors compare ids: SQLite's
    default (BINARY) does; PostgreSQL needs the "C" collation for it."""
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("id", ordered_text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("carrier_shipment_id", sa.String(), nullable=False),
    sa.Column("tracking_number", sa.String(), nullable=True),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("reference", sa.String(), nullable=False),
    sa.Column("created_us", sa.BigInteger(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("document", sa.LargeBinary(), nullable=False),
    # the search's terms, each after a separator (shipgraph.store.search.search_text):
    # in the listing's index, a walk checks them without reading the rows
    sa.Column("search_text", ordered_text(), nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("tenant", "id", name="shipments_pkey"),
    sa.Index("shipments_listing", "tenant", "created_us", "id", postgresql_include=["search_text"]),
    sa.Index("shipments_by_carrier", "tenant", "carrier", "created_us", "id"),
    sa.Index("shipments_by_status", "tenant", "status", "created_us", "id"),
    sa.Index("shipments_by_reference", "tenant", "reference", "created_us", "id"),
    sa.Index("shipments_by_tracking_number", "tenant", "tracking_number", "created_us", "id"),
)

shipment_ids = sa.Table(
    "shipment_ids",
    metadata,
    # ids are unique across tenants (the contract refuses another tenant's id)
    sa.Column("id", ordered_text(), nullable=False),
    sa.Column("tenant", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("id", name="shipment_ids_pkey"),
)

carrier_ids = sa.Table(
    "carrier_ids",
    metadata,
    # the shipment a carrier's own id names (a webhook names nothing else)
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("carrier_shipment_id", sa.String(), nullable=False),
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("shipment_id", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("carrier", "carrier_shipment_id", name="carrier_ids_pkey"),
)

search_terms = sa.Table(
    "search_terms",
    metadata,
    # the terms a shipment is found by (shipgraph.store.search), a prefix being a
    # range of them; created_us is the listing's, so a range is read newest first
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("shipment_id", ordered_text(), nullable=False),
    sa.Column("term", ordered_text(), nullable=False),
    sa.Column("created_us", sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint("tenant", "shipment_id", "term", name="search_terms_pkey"),
    sa.Index("search_terms_by_term", "tenant", "term", "created_us", "shipment_id"),
)

tracking_numbers = sa.Table(
    "tracking_numbers",
    metadata,
    # the shipment that last took the number (a carrier may reuse one)
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("tracking_number", sa.String(), nullable=False),
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("shipment_id", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("carrier", "tracking_number", name="tracking_numbers_pkey"),
    sa.Index("tracking_numbers_by_shipment", "tenant", "shipment_id"),
)

poll_leases = sa.Table(
    "poll_leases",
    metadata,
    # one row per active shipment: when it was last fresh (stored, updated or claimed)
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("shipment_id", sa.String(), nullable=False),
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("fresh_ms", sa.BigInteger(), nullable=False),
    sa.Column("prior_fresh_ms", sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint("tenant", "shipment_id", name="poll_leases_pkey"),
    sa.Index("poll_leases_due", "carrier", "fresh_ms", "shipment_id"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("completed", sa.Boolean(), nullable=False),
    # None when a completion found its reservation expired: it then answers any input
    sa.Column("request_hash", sa.String(), nullable=True),
    sa.Column("shipment_id", sa.String(), nullable=True),
    sa.Column("expires_at", sa.Float(), nullable=False),  # seconds since the Unix epoch
    sa.PrimaryKeyConstraint("tenant", "key", name="idempotency_keys_pkey"),
    sa.Index("idempotency_keys_expiry", "tenant", "expires_at"),
)

orphan_events = sa.Table(
    "orphan_events",
    metadata,
    # carrier updates whose shipment is not known yet: not a tenant's until adopted
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("carrier_shipment_id", sa.String(), nullable=True),
    sa.Column("tracking_number", sa.String(), nullable=True),
    sa.Column("event", sa.LargeBinary(), nullable=False),
    sa.Column("expires_at", sa.Float(), nullable=False),  # seconds since the Unix epoch
    sa.Index("orphan_events_by_carrier_id", "carrier", "carrier_shipment_id"),
    sa.Index("orphan_events_by_tracking_number", "carrier", "tracking_number"),
    sa.Index("orphan_events_expiry", "expires_at"),
)

tracking_events = sa.Table(
    "tracking_events",
    metadata,
    # each carrier update applied to a shipment, recorded in the write that applied it
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("shipment_id", sa.String(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),  # as key_text keeps it
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=True),
    sa.Column("carrier_status", sa.String(), nullable=True),
    sa.Column("occurred_us", sa.BigInteger(), nullable=True),  # the carrier's time
    sa.Column("applied_us", sa.BigInteger(), nullable=False),  # the shipment's updated_at
    sa.Column("event", sa.LargeBinary(), nullable=False),  # the update, encoded
    sa.PrimaryKeyConstraint("tenant", "shipment_id", "event_id", name="tracking_events_pkey"),
)

uncertain_bookings = sa.Table(
    "uncertain_bookings",
    metadata,
    # a create sent with no answer back: check the carrier before booking it again
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("carrier", sa.String(), nullable=False),
    sa.Column("reference", sa.String(), nullable=False),  # as key_text keeps it
    sa.Column("expires_at", sa.Float(), nullable=False),  # seconds since the Unix epoch
    sa.PrimaryKeyConstraint("tenant", "carrier", "reference", name="uncertain_bookings_pkey"),
    sa.Index("uncertain_bookings_expiry", "tenant", "expires_at"),
)
