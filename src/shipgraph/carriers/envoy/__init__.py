"""Envoy (multi-carrier aggregator): see ../shared/carrier-docs/envoy.txt."""

from shipgraph.carriers.envoy.adapter import INFO, EnvoyCarrier
from shipgraph.carriers.envoy.models import EnvoyDraft, EnvoyPending, EnvoyShipmentSummary

__all__ = ["INFO", "EnvoyCarrier", "EnvoyDraft", "EnvoyPending", "EnvoyShipmentSummary"]
