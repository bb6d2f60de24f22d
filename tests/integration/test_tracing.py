"""OpenTelemetry, when enabled: a span per GraphQL operation and per carrier call,
with no resolver arguments (personal data) recorded; nothing when it is off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shipgraph import tracing
from tests.integration.conftest import create
from tests.support.stack import running_stack

_exporter = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_exporter))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """OpenTelemetry's global provider can be set once per process: this one."""
    tracing.enable(_provider)
    _exporter.clear()
    try:
        yield _exporter
    finally:
        tracing.disable()


async def test_a_booking_is_one_operation_span_and_one_carrier_span(
    spans: InMemorySpanExporter,
) -> None:
    async with running_stack(otel_enabled=True) as stack:
        await create(stack, "SO-T1")
    finished = spans.get_finished_spans()
    names = [span.name for span in finished]
    assert "GraphQL Query: Create" in names
    [carrier] = [span for span in finished if span.name == "ENVIO create"]
    assert carrier.attributes is not None
    assert carrier.attributes["shipgraph.carrier"] == "ENVIO"
    assert carrier.attributes["http.response.status_code"] == 200
    for span in finished:
        for key, value in (span.attributes or {}).items():
            assert "Jl. " not in str(value), (span.name, key)  # no address reached a span


async def test_off_by_default_no_spans() -> None:
    _exporter.clear()
    async with running_stack() as stack:
        await create(stack, "SO-T2")
    assert _exporter.get_finished_spans() == ()


def test_enabling_without_the_packages_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracing, "available", lambda: False)
    with pytest.raises(tracing.TracingUnavailable, match=r"shipgraph\[otel\]"):
        tracing.enable()
