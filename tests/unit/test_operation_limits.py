"""The operation limits rule: the same figures as Strawberry's limiters on ordinary
documents, exact figures on fragment bombs, and no exception on broken documents."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, parse, specified_rules, validate
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.extensions.query_depth_limiter import determine_depth, get_fragments

from shipgraph.schema import build_schema
from shipgraph.schema.limits import MAX_FIELDS, Size, create_rule, operation_sizes
from tests.integration.operations import CREATE, GET, LIST, SUBSCRIBE

SCHEMA = build_schema()._schema


def doubling(fragments: int) -> str:
    """Each fragment spreads the previous one twice: 2^n fields once expanded."""
    parts = ["fragment F0 on Query { __typename }"]
    parts += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, fragments + 1)
    ]
    return f"query Q {{ ...F{fragments} }}\n" + "\n".join(parts)


def errors(query: str, **limits: int) -> list[str]:
    rule = create_rule(
        limits.get("depth", 12), limits.get("aliases", 30), limits.get("fields", MAX_FIELDS)
    )
    return [error.message for error in validate(SCHEMA, parse(query), [*specified_rules, rule])]


ORDINARY = [
    CREATE,
    GET,
    LIST,
    SUBSCRIBE,
    "{ shipments { edges { node { courier { name } } } } }",
    "{ shipments { ...E } } fragment E on ShipmentConnection { edges { node { id } } }",
    "{ a: carriers { code } b: carriers { c: code } ... on Query { d: carriers { code } } }",
    "{ __schema { types { name fields { name type { name ofType { name } } } } } }",
]


@pytest.mark.parametrize("query", ORDINARY)
def test_depth_and_aliases_are_strawberrys(query: str) -> None:
    document = parse(query)
    fragments = get_fragments(document.definitions)
    [(name, size)] = operation_sizes(document).items()
    [operation] = [d for d in document.definitions if d.kind == "operation_definition"]
    context = type("Context", (), {"report_error": lambda self, error: None})()
    depth = determine_depth(operation, fragments, 0, 100, context, name, None)  # type: ignore[arg-type]
    assert size.depth == depth
    assert size.aliases == count_fields_with_alias(operation, fragments)


@pytest.mark.parametrize("fragments", [21, 40, 200])
def test_fragment_bombs_are_measured_exactly(fragments: int) -> None:
    assert operation_sizes(parse(doubling(fragments))) == {"Q": Size(0, 2**fragments, 0)}
    # (graphql-core adds "Validation aborted." past its own fragment nesting limit)
    assert errors(doubling(fragments))[0] == (
        f"'Q' selects {2**fragments} fields once its fragments are expanded. Allowed: {MAX_FIELDS}"
    )


def test_aliases_in_a_bomb_are_counted_as_expanded() -> None:
    query = doubling(10).replace("{ __typename }", "{ a: __typename }")
    assert errors(query, fields=10**6) == ["1024 aliases found. Allowed: 30"]


def test_depth_through_fragments() -> None:
    query = (
        "{ shipments { ...E } } "
        "fragment E on ShipmentConnection { edges { node { courier { name } } } }"
    )
    assert errors(query, depth=3) == ["'anonymous' exceeds maximum operation depth of 3"]
    assert errors(query, depth=4) == []


def test_a_long_fragment_chain_does_not_exhaust_the_stack() -> None:
    n = 5000
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(n))
    query = f"{{ ...F0 }}\n{chain}\nfragment F{n} on Query {{ a: __typename }}"
    assert operation_sizes(parse(query)) == {"anonymous": Size(0, 1, 1)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ ...Nope }", "Unknown fragment 'Nope'."),
        (
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }",
            "Cannot spread fragment 'A' within itself via 'B'.",
        ),
    ],
)
def test_broken_documents_get_graphql_cores_errors(query: str, expected: str) -> None:
    assert errors(query) == [expected]


def test_several_operations_count_aliases_together() -> None:
    query = "query A { a: __typename b: __typename } query B { c: __typename d: __typename }"
    assert errors(query, aliases=3) == ["4 aliases found. Allowed: 3"]
    assert all(
        isinstance(e, GraphQLError) for e in validate(SCHEMA, parse(query), [create_rule(1, 3)])
    )
