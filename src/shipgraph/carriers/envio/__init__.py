"""Envio Logistics (Indonesia): see ../shared/carrier-docs/envio.md."""

from shipgraph.carriers.envio.adapter import INFO, EnvioCarrier

__all__ = ["INFO", "EnvioCarrier"]
