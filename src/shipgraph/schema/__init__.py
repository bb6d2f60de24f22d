"""The public GraphQL schema: types and wiring only."""

from __future__ import annotations

import functools

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from shipgraph.schema import types
from shipgraph.schema.extensions import ErrorCodes
from shipgraph.schema.root import Mutation, Query, Subscription
from shipgraph.schema.scalars import SCALAR_OVERRIDES


def build_schema(
    *, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 2000
) -> strawberry.Schema:
    """Extensions are passed as factories: each operation gets instances of its own."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[types.Shipment],
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            ErrorCodes,
            functools.partial(QueryDepthLimiter, max_depth=max_depth),
            functools.partial(MaxAliasesLimiter, max_alias_count=max_aliases),
            functools.partial(MaxTokensLimiter, max_token_count=max_tokens),
            functools.partial(ParserCache, maxsize=256),
            functools.partial(ValidationCache, maxsize=256),
        ],
    )


def print_sdl() -> str:
    return build_schema().as_str()
