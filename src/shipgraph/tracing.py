"""OpenTelemetry tracing, off unless SHIPGRAPH_OTEL_ENABLED is set: a span per GraphQL
operation (Strawberry's extension) and a client span per carrier call.

The OpenTelemetry packages are the optional extra ``shipgraph[otel]``. Spans go to
the OTLP/HTTP exporter, configured by the standard ``OTEL_EXPORTER_OTLP_*`` and
``OTEL_SERVICE_NAME`` variables. Resolver arguments are never recorded: they hold
names, phone numbers and addresses.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

_tracer: Any = None


class TracingUnavailable(RuntimeError):
    """Tracing was asked for but the OpenTelemetry packages are not installed."""


def available() -> bool:
    return importlib.util.find_spec("opentelemetry.sdk") is not None


def enable(provider: Any = None) -> None:
    """Send spans to ``provider``, or to a new OTLP/HTTP-exporting provider."""
    global _tracer
    if not available():
        raise TracingUnavailable(
            "SHIPGRAPH_OTEL_ENABLED needs the OpenTelemetry packages: pip install 'shipgraph[otel]'"
        )
    from opentelemetry import trace

    if provider is None:
        provider = _otlp_provider()
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("shipgraph.carriers", tracer_provider=provider)


def disable() -> None:
    global _tracer
    _tracer = None


def _otlp_provider() -> Any:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "shipgraph"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


@contextlib.contextmanager
def carrier_span(carrier: str, operation: str, method: str, path: str) -> Iterator[Any]:
    """A client span around one carrier call, or nothing when tracing is off."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    attributes = {
        "shipgraph.carrier": carrier,
        "shipgraph.operation": operation,
        "http.request.method": method,
        "url.path": path,
    }
    with _tracer.start_as_current_span(
        f"{carrier} {operation}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield span


def graphql_extension() -> Callable[..., Any]:
    """Strawberry's OpenTelemetry extension, recording no resolver arguments."""
    from strawberry.extensions.tracing import OpenTelemetryExtension

    def no_arguments(arguments: dict[str, Any], info: Any) -> dict[str, Any]:
        return {}

    def factory() -> OpenTelemetryExtension:
        return OpenTelemetryExtension(arg_filter=no_arguments)

    return factory
