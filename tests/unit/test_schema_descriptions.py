"""The printed schema explains itself: GraphiQL and generated clients show every
type, field, argument, input field and enum value with a description."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    is_specified_scalar_type,
)

from shipgraph.schema import print_sdl


def _blank(description: str | None) -> bool:
    return description is None or not description.strip()


def _named_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        kind
        for name, kind in sorted(schema.type_map.items())
        if not name.startswith("__") and not is_specified_scalar_type(kind)
    ]


def _undescribed_parts(kind: GraphQLNamedType) -> list[str]:
    """The parts of one type without a description, named as a reader would look
    them up: Type, Type.field, Type.field(argument), Type.VALUE."""
    missing = [kind.name] if _blank(kind.description) else []
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in kind.fields.items():
            if _blank(field.description):
                missing.append(f"{kind.name}.{field_name}")
            missing += [
                f"{kind.name}.{field_name}({arg_name})"
                for arg_name, arg in field.args.items()
                if _blank(arg.description)
            ]
    elif isinstance(kind, GraphQLInputObjectType):
        missing += [
            f"{kind.name}.{field_name}"
            for field_name, field in kind.fields.items()
            if _blank(field.description)
        ]
    elif isinstance(kind, GraphQLEnumType):
        missing += [
            f"{kind.name}.{value_name}"
            for value_name, value in kind.values.items()
            if _blank(value.description)
        ]
    return missing


def undescribed(schema: GraphQLSchema) -> list[str]:
    return [part for kind in _named_types(schema) for part in _undescribed_parts(kind)]


def test_every_part_of_the_printed_schema_has_a_description() -> None:
    missing = undescribed(build_schema(print_sdl()))
    assert missing == [], f"{len(missing)} without a description:\n" + "\n".join(missing)


def test_the_walk_finds_what_is_undescribed() -> None:
    """The check itself: a bare schema shows every kind of part it must find."""
    bare = build_schema(
        """
        type Query { thing(id: ID, size: Int): Thing }
        "A thing." type Thing { "Its name." name: String, size: Int }
        input Filter { name: String }
        enum Order { "Oldest first." OLDEST NEWEST }
        scalar Stamp
        """
    )
    assert undescribed(bare) == [
        "Filter",
        "Filter.name",
        "Order",
        "Order.NEWEST",
        "Query",
        "Query.thing",
        "Query.thing(id)",
        "Query.thing(size)",
        "Stamp",
        "Thing.size",
    ]


def test_the_contract_scalars_keep_their_descriptions() -> None:
    """Custom scalars are walked; built-in ones (String, ID...) are not ours to describe."""
    schema = build_schema(print_sdl())
    walked = {kind.name for kind in _named_types(schema) if isinstance(kind, GraphQLScalarType)}
    assert walked == {"Date", "DateTime", "Decimal", "JSON"}
