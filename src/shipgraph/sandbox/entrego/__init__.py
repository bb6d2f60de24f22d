"""A simulator of Entrego's LMS API (see /work/shared/carrier-docs/entrego.txt)."""

from shipgraph.sandbox.entrego.app import create_entrego_sandbox
from shipgraph.sandbox.entrego.state import EntregoSandboxState

__all__ = ["EntregoSandboxState", "create_entrego_sandbox"]
