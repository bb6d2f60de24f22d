"""How big an operation is once its fragments are expanded, checked in linear time.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every fragment spread
anew: 21 fragments that each spread the previous one twice (about 250 tokens) are
2^21 walks, six seconds with the event loop frozen; 40 never finish. This rule
measures each fragment once and reuses the figure wherever it is spread, so the
cost of validating is linear in the document's size while the figures it limits
(depth, aliases, fields) are those of the fully expanded operation.

Depth counts like Strawberry's: a field with a selection set is one level deeper
than its deepest selection, a leaf is 0, introspection fields (``__schema``,
``__type``) are not counted. Unknown fragments and fragment cycles count 0 here:
graphql-core's own rules report them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from graphql.language import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ValidationContext, ValidationRule

MAX_FIELDS = 2_000
"""Fields of one operation once every fragment is expanded. GraphiQL's introspection
query has about 300; the widest operation a client of this API needs, a few hundred."""


@dataclass(frozen=True, slots=True)
class Size:
    depth: int = 0
    fields: int = 0
    aliases: int = 0

    def beside(self, other: Size) -> Size:
        """Two selections of the same selection set."""
        return Size(
            max(self.depth, other.depth),
            self.fields + other.fields,
            self.aliases + other.aliases,
        )


def _spreads(selection_set: SelectionSetNode | None) -> Iterator[str]:
    """The fragments a selection set spreads itself (not through other fragments)."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            yield from _spreads(selection.selection_set)


def _size(selection_set: SelectionSetNode | None, fragments: Mapping[str, Size]) -> Size:
    """``fragments``: the size of each fragment measured so far."""
    total = Size()
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            inner = _size(selection.selection_set, fragments)
            counted = selection.selection_set is not None
            if selection.name.value.startswith("__"):
                counted = False
            size = Size(
                inner.depth + 1 if counted else 0,
                inner.fields + 1,
                inner.aliases + (1 if selection.alias else 0),
            )
        elif isinstance(selection, InlineFragmentNode):
            size = _size(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            size = fragments.get(selection.name.value, Size())
        else:  # pragma: no cover - the grammar has no other selection
            continue
        total = total.beside(size)
    return total


def fragment_sizes(definitions: Mapping[str, FragmentDefinitionNode]) -> dict[str, Size]:
    """Each fragment's expanded size, every fragment measured once, after the fragments
    it spreads. The walk is iterative: a chain of hundreds of fragments must not
    exhaust the interpreter's stack."""
    sizes: dict[str, Size] = {}
    for root in definitions:
        if root in sizes:
            continue
        stack = [(root, _spreads(definitions[root].selection_set))]
        open_ = {root}
        while stack:
            name, pending = stack[-1]
            for spread in pending:
                if spread in definitions and spread not in sizes and spread not in open_:
                    stack.append((spread, _spreads(definitions[spread].selection_set)))
                    open_.add(spread)
                    break
            else:
                stack.pop()
                open_.discard(name)
                sizes[name] = _size(definitions[name].selection_set, sizes)
    return sizes


def operation_sizes(document: DocumentNode) -> dict[str, Size]:
    """The expanded size of each operation, by name ("anonymous" without one)."""
    definitions = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    fragments = fragment_sizes(definitions)
    return {
        (definition.name.value if definition.name else "anonymous"): _size(
            definition.selection_set, fragments
        )
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    }


def create_rule(
    max_depth: int, max_aliases: int, max_fields: int = MAX_FIELDS
) -> type[ValidationRule]:
    """One rule for the three limits. Built once per schema: ValidationCache keys on
    the rules, so a new class per operation would never hit."""

    class OperationLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            sizes = operation_sizes(context.document)
            for name, size in sizes.items():
                if size.depth > max_depth:
                    self._report(f"'{name}' exceeds maximum operation depth of {max_depth}")
                if size.fields > max_fields:
                    self._report(
                        f"'{name}' selects {size.fields} fields once its fragments are "
                        f"expanded. Allowed: {max_fields}"
                    )
            aliases = sum(size.aliases for size in sizes.values())
            if aliases > max_aliases:
                self._report(f"{aliases} aliases found. Allowed: {max_aliases}")

        def _report(self, message: str) -> None:
            self.report_error(GraphQLError(message))

        def enter_document(self, *_: Any) -> object:
            return BREAK  # measured above; nothing to visit

    return OperationLimits
