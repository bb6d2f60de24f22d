"""A simulator of the Envio distribution API (see /work/shared/carrier-docs/envio.md)."""

from shipgraph.sandbox.envio.app import create_envio_sandbox
from shipgraph.sandbox.envio.state import EnvioSandboxState

__all__ = ["EnvioSandboxState", "create_envio_sandbox"]
