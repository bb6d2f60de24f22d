"""The public GraphQL schema: types and wiring only."""

from __future__ import annotations

import functools

import strawberry
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from shipgraph import tracing
from shipgraph.schema import types
from shipgraph.schema.execution import SubscriptionExecutor
from shipgraph.schema.extensions import ErrorCodes
from shipgraph.schema.root import Mutation, Query, Subscription
from shipgraph.schema.scalars import SCALAR_OVERRIDES


def build_schema(
    *, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 2000, traced: bool = False
) -> strawberry.Schema:
    """Extensions are passed as factories: each operation gets instances of its own.
    ``traced`` adds a span per operation (tracing.py).

    The depth and alias rules are built once: QueryDepthLimiter and MaxAliasesLimiter
    would build new rule classes per operation, and ValidationCache keys on the rules,
    so it would never hit and every request would be validated again."""
    limits: list[type[ASTValidationRule]] = [
        depth_rule(max_depth, None, None),
        aliases_rule(max_aliases),
    ]
    traces = [tracing.graphql_extension()] if traced else []
    return strawberry.Schema(
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
            functools.partial(ParserCache, maxsize=256),
            functools.partial(ValidationCache, maxsize=256),
            *traces,
        ],
    )


def print_sdl() -> str:
    return build_schema().as_str()
