"""shipgraph: one GraphQL API over Envio, Borzo, Entrego and Envoy."""

__version__ = "0.1.0"
