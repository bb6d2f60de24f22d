"""Metrics (Prometheus) and structured logs (structlog), shared by every room.

Logs are JSON lines; secrets never reach them because settings hold them as
SecretStr and carrier clients log paths and status codes, never headers or bodies.
"""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "shipgraph_http_requests_total",
    "HTTP requests served, by route and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
GRAPHQL_OPERATIONS = Counter(
    "shipgraph_graphql_operations_total",
    "GraphQL operations executed, by type and outcome (ok, error).",
    ["operation", "outcome"],
    registry=REGISTRY,
)
CARRIER_CALL_SECONDS = Histogram(
    "shipgraph_carrier_call_seconds",
    "Latency of calls to carrier APIs.",
    ["carrier", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
CARRIER_CALL_ERRORS = Counter(
    "shipgraph_carrier_call_errors_total",
    "Failed calls to carrier APIs, by error code.",
    ["carrier", "operation", "code"],
    registry=REGISTRY,
)
CARRIER_CIRCUIT_OPEN = Gauge(
    "shipgraph_carrier_circuit_open",
    "1 while a carrier's circuit breaker refuses calls, as this process last saw it.",
    ["carrier"],
    registry=REGISTRY,
)
WEBHOOKS_RECEIVED = Counter(
    "shipgraph_webhooks_total",
    "Carrier webhooks received, by outcome (applied, duplicate, orphan, rejected).",
    ["carrier", "outcome"],
    registry=REGISTRY,
)

REDIS_POOL_EXHAUSTED = Counter(
    "shipgraph_redis_pool_exhausted_total",
    "Redis commands that waited SHIPGRAPH_REDIS_POOL_WAIT_S for a pooled connection "
    "and got none (answered SERVICE_UNAVAILABLE, or the cache bypassed).",
    registry=REGISTRY,
)
STORE_CONTENDED = Counter(
    "shipgraph_store_contended_total",
    "Shipment updates given up after their bounded retries, other writers always first "
    "(answered 503 with Retry-After).",
    registry=REGISTRY,
)


def configure_logging(level: str = "INFO") -> None:
    """JSON logs on stderr for shipgraph and the libraries it uses."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level, force=True)
    # httpx logs each request's full URL at INFO, and a URL may carry a token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
