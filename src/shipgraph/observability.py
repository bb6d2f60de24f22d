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
DATABASE_POOL_EXHAUSTED = Counter(
    "shipgraph_database_pool_exhausted_total",
    "Database calls that waited SHIPGRAPH_DATABASE_POOL_WAIT_S for a pooled connection "
    "and got none (answered SERVICE_UNAVAILABLE, webhooks 503 with Retry-After).",
    registry=REGISTRY,
)
STORE_CONTENDED = Counter(
    "shipgraph_store_contended_total",
    "Shipment updates given up after their bounded retries, other writers always first "
    "(answered 503 with Retry-After).",
    registry=REGISTRY,
)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for everything: shipgraph's structlog loggers, the stdlib
    loggers (shipgraph.cache, shipgraph.events, libraries) and uvicorn's own, all
    through one structlog ProcessorFormatter on the root logger. uvicorn must be run
    with ``log_config=None`` so that it adds no handlers of its own."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, _access_fields],
        pass_foreign_args=True,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in root.handlers:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # whatever a dictConfig gave them before: propagate to the root's handler
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.captureWarnings(True)  # a Python warning is a log line too, not stray text
    # httpx logs each request's full URL at INFO, and a URL may carry a token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _access_fields(
    logger: object, method_name: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """uvicorn's access line as fields, its path without the query string (a webhook's
    ``?token=`` must not reach the log); other records keep their formatted message."""
    args = event_dict.pop("positional_args", ())
    record = event_dict.get("_record")
    access = getattr(record, "name", None) == "uvicorn.access"
    if access and isinstance(args, tuple) and len(args) == 5:
        client, method, path, http_version, status = args
        event_dict.update(
            event="request",
            client=str(client),
            method=str(method),
            path=str(path).split("?", 1)[0],
            http_version=str(http_version),
            status=status,
        )
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
