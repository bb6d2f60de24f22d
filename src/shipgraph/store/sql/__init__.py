"""The SQL shipment store: PostgreSQL in production, SQLite embedded."""

from shipgraph.store.sql.engine import create_engine
from shipgraph.store.sql.migrate import current_is_head, upgrade
from shipgraph.store.sql.store import SqlShipmentStore

__all__ = ["SqlShipmentStore", "create_engine", "current_is_head", "upgrade"]
