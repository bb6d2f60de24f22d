"""Borzo (Indonesia), Business API 1.6: see ../shared/carrier-docs/borzo.txt."""

from shipgraph.carriers.borzo.adapter import INFO, BorzoCarrier

__all__ = ["INFO", "BorzoCarrier"]
