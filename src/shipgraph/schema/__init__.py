"""The public GraphQL schema: types and wiring only."""

from __future__ import annotations

import functools

import strawberry
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from shipgraph import tracing
from shipgraph.schema import types
from shipgraph.schema.execution import SubscriptionExecutor
from shipgraph.schema.extensions import CachedParse, CodedSchema, ErrorCodes
from shipgraph.schema.limits import MAX_FIELDS, create_rule
from shipgraph.schema.root import Mutation, Query, Subscription
from shipgraph.schema.scalars import SCALAR_OVERRIDES


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 2000,
    max_fields: int = MAX_FIELDS,
    traced: bool = False,
) -> strawberry.Schema:
    """Extensions are passed as factories: each operation gets instances of its own.
    ``traced`` adds a span per operation (tracing.py).

    Depth, aliases and fields are limited by one rule of ours (limits.py), built once:
    Strawberry's QueryDepthLimiter and MaxAliasesLimiter cost exponential time in
    fragment spreads."""
    limits: list[type[ASTValidationRule]] = [create_rule(max_depth, max_aliases, max_fields)]
    traces = [tracing.graphql_extension()] if traced else []
    return CodedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[types.Shipment],
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=SubscriptionExecutor,
        extensions=[
            ErrorCodes,
            functools.partial(AddValidationRules, limits),
            functools.partial(MaxTokensLimiter, max_token_count=max_tokens),
            functools.partial(CachedParse, maxsize=256),
            functools.partial(ValidationCache, maxsize=256),
            *traces,
        ],
    )


def print_sdl() -> str:
    return build_schema().as_str()
