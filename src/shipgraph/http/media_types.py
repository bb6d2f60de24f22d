"""Which media type /graphql answers in: the GraphQL-over-HTTP spec's content
negotiation between application/graphql-response+json and application/json."""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# Listed in order of preference when the client likes both equally (e.g. ``*/*``):
# application/json first, the spec's default for clients that do not say.
_ANSWERABLE = (JSON, GRAPHQL_RESPONSE_JSON)


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in for this ``Accept`` header; None: neither (406).

    Each media type takes the quality of the most specific range that matches it
    (``application/json`` over ``application/*`` over ``*/*``); the best quality
    wins, then the more specific match, then the one listed first, then
    application/json. No header (or an empty one) means application/json.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges: list[tuple[str, float]] = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 1.0
        ranges.append((media.lower(), quality))
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for media_type in _ANSWERABLE:
        family = media_type.split("/", 1)[0] + "/*"
        match: tuple[float, int, int] | None = None
        for position, (media, quality) in enumerate(ranges):
            specificity = {media_type: 2, family: 1, "*/*": 0}.get(media)
            if specificity is None:
                continue
            if match is None or specificity > match[1]:
                match = (quality, specificity, -position)
        if match is None or match[0] <= 0:
            continue
        if best is None or match > best:
            best, chosen = match, media_type
    return chosen


def with_charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"
