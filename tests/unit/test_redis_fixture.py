import redis.asyncio as redis

from tests.support.redis_server import free_port


async def test_session_redis_is_our_own(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert await client.ping()
        assert not redis_url.endswith(":6379/0")
    finally:
        await client.aclose()


def test_free_port_is_bindable() -> None:
    assert 1024 < free_port() < 65536
