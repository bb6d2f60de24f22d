"""The first hour, tried as a new user would: what a missing or a wrong key is told."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import websockets

from tests.support.stack import Stack, running_stack
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, GraphQLSocket

QUERY = {"query": "{ carriers { code } }"}


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def _refusal(stack: Stack, headers: dict[str, str]) -> str:
    response = await stack.http.post(f"{stack.gateway}/graphql", json=QUERY, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    message: str = error["message"]
    return message


async def test_a_missing_and_a_wrong_key_are_told_apart_over_http(gateway: Stack) -> None:
    missing = await _refusal(gateway, {})
    empty = await _refusal(gateway, {"Authorization": ""})
    wrong = await _refusal(gateway, {"Authorization": "Bearer key-nobody"})
    malformed = await _refusal(gateway, {"Authorization": "key-acme"})
    assert missing == empty
    assert "missing API key" in missing and "Authorization: Bearer <api key>" in missing
    assert "unknown API key" in wrong
    assert "Bearer <api key>" in malformed
    assert len({missing, wrong, malformed}) == 3
    # the key a caller sent is never echoed back
    assert all("key-" not in message for message in (wrong, malformed))


async def _ws_refusal(
    stack: Stack,
    protocol: str,
    authorization: str | None,
    upgrade_headers: dict[str, str] | None = None,
) -> tuple[int | None, str]:
    """The close code and reason (graphql-transport-ws) or connection_error message."""
    url = stack.gateway.replace("http://", "ws://") + "/graphql"
    connection = await websockets.connect(
        url,
        subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=upgrade_headers,
    )
    socket = GraphQLSocket(connection, protocol)
    payload = {"authorization": authorization} if authorization is not None else {}
    await socket.send({"type": "connection_init", "payload": payload})
    try:
        if protocol == TRANSPORT_WS:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.receive()
            assert closed.value.rcvd is not None
            return closed.value.rcvd.code, closed.value.rcvd.reason
        message = await socket.receive()
        assert message["type"] == "connection_error"
        assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
        return None, str(message["payload"]["message"])
    finally:
        await socket.close()


async def test_a_missing_and_a_wrong_key_are_told_apart_at_connection_init(
    gateway: Stack,
) -> None:
    for protocol in (TRANSPORT_WS, LEGACY_WS):
        missing = await _ws_refusal(gateway, protocol, None)
        wrong = await _ws_refusal(gateway, protocol, "Bearer key-nobody")
        malformed = await _ws_refusal(gateway, protocol, "key-acme")
        if protocol == TRANSPORT_WS:
            assert {missing[0], wrong[0], malformed[0]} == {4403}
        assert "connection_init" in missing[1]
        assert "unknown API key" in wrong[1]
        assert "Bearer <api key>" in malformed[1]
        assert len({missing[1], wrong[1], malformed[1]}) == 3


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_an_authorization_header_on_the_upgrade_is_refused(
    gateway: Stack, protocol: str
) -> None:
    """As the README says: the key goes in connection_init; on the upgrade it gets 4403."""
    code, message = await _ws_refusal(gateway, protocol, None, {"Authorization": "Bearer key-acme"})
    if protocol == TRANSPORT_WS:
        assert code == 4403
    assert "connection_init" in message and "upgrade" in message
    # the same key in the payload is accepted
    socket = await GraphQLSocket.connect(gateway.gateway, protocol, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
    finally:
        await socket.close()
