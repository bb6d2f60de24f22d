"""GraphQL errors with ``extensions.code``, for fields that have no userErrors."""

from __future__ import annotations

from graphql import GraphQLError

from shipgraph.carriers.base import CarrierError
from shipgraph.domain import ErrorCode
from shipgraph.store.base import CorruptRecord, StoreBusy, StoreUnavailable, UnstorableShipment

UNAUTHENTICATED = "UNAUTHENTICATED"
BAD_USER_INPUT = "BAD_USER_INPUT"


def api_error(code: ErrorCode | str, message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": str(code), **extensions})


def from_carrier_error(error: CarrierError) -> GraphQLError:
    return api_error(
        error.code,
        error.message,
        carrier=error.carrier.value,
        retryable=error.retryable,
    )


def unauthenticated() -> GraphQLError:
    return api_error(UNAUTHENTICATED, "send Authorization: Bearer <api key>")


SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
DATA_CORRUPTED = "DATA_CORRUPTED"
"""A stored shipment cannot be read back; its message says so, the log says which."""


def code_of_exception(error: BaseException) -> str | None:
    """The code of an exception a resolver let through on purpose, if it has one."""
    if isinstance(error, StoreUnavailable):
        return SERVICE_UNAVAILABLE
    if isinstance(error, CorruptRecord):
        return DATA_CORRUPTED
    if isinstance(error, UnstorableShipment):
        # Nothing was written; what could not be is a carrier's answer (a client's
        # input is checked long before), a malformed answer in the contract's words.
        return ErrorCode.CARRIER_UNAVAILABLE.value
    return None


def message_of_unavailable(error: BaseException | None) -> str:
    """What a SERVICE_UNAVAILABLE error tells the client: a busy store says why
    (connection pool exhausted, shipment contended), an unreachable one no more."""
    if isinstance(error, StoreBusy):
        return f"{error}; try again shortly"
    return "storage is unavailable; try again shortly"
