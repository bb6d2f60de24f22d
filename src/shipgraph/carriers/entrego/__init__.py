"""Entrego (Philippines), LMS API guide: see ../shared/carrier-docs/entrego.txt."""

from shipgraph.carriers.entrego.adapter import INFO, EntregoCarrier

__all__ = ["INFO", "EntregoCarrier"]
