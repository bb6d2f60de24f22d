"""A simulator of Envoy's shipments API (see /work/shared/carrier-docs/envoy.txt)."""

from shipgraph.sandbox.envoy.app import create_envoy_sandbox
from shipgraph.sandbox.envoy.state import EnvoySandboxState

__all__ = ["EnvoySandboxState", "create_envoy_sandbox"]
