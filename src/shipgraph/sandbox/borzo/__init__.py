"""A simulator of the Borzo Business API 1.6 (see /work/shared/carrier-docs/borzo.txt)."""

from shipgraph.sandbox.borzo.app import create_borzo_sandbox
from shipgraph.sandbox.borzo.state import BorzoSandboxState

__all__ = ["BorzoSandboxState", "create_borzo_sandbox"]
