"""Which carriers exist, which are enabled, and the adapters that serve them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import httpx
from pydantic import SecretStr
from redis.asyncio import Redis

from shipgraph.cache.base import Cache
from shipgraph.cache.tokens import TokenCache
from shipgraph.carriers import borzo, entrego, envio, envoy
from shipgraph.carriers.base import CallGuard, CarrierBase, CarrierError, CarrierInfo
from shipgraph.carriers.breaker import CarrierBreaker
from shipgraph.carriers.limits import WindowLimiter, limiter_storage
from shipgraph.config import Settings
from shipgraph.domain import Capability, CarrierCode, ErrorCode

_INFO: dict[CarrierCode, CarrierInfo] = {
    CarrierCode.ENVIO: envio.INFO,
    CarrierCode.BORZO: borzo.INFO,
    CarrierCode.ENTREGO: entrego.INFO,
    CarrierCode.ENVOY: envoy.INFO,
}


class CarrierRegistry:
    def __init__(
        self,
        carriers: Mapping[CarrierCode, CarrierBase],
        guards: Mapping[CarrierCode, CallGuard] | None = None,
    ) -> None:
        self._carriers = dict(carriers)
        self._guards = dict(guards or {})

    def info(self, code: CarrierCode) -> CarrierInfo:
        carrier = self._carriers.get(code)
        if carrier is not None:
            return carrier.info
        return _INFO[code]

    def all(self) -> list[CarrierInfo]:
        return [self.info(code) for code in CarrierCode]

    def is_enabled(self, code: CarrierCode) -> bool:
        return code in self._carriers

    def get(self, code: CarrierCode, capability: Capability | None = None) -> CarrierBase:
        """The enabled carrier, or CarrierError UNSUPPORTED saying why not."""
        carrier = self._carriers.get(code)
        if carrier is None:
            message = f"{code.value} is not configured (no credentials)"
            raise CarrierError(code, ErrorCode.UNSUPPORTED, message)
        if capability is not None and capability not in carrier.info.capabilities:
            message = f"{code.value} does not support {capability.value}"
            raise CarrierError(code, ErrorCode.UNSUPPORTED, message)
        return carrier

    async def healthy(self, code: CarrierCode) -> bool:
        """False while the carrier's circuit breaker refuses calls."""
        guard = self._guards.get(code)
        return True if guard is None else await guard.healthy()

    def with_capability(self, capability: Capability) -> list[CarrierCode]:
        return [
            code for code, carrier in self._carriers.items()
            if capability in carrier.info.capabilities
        ]  # fmt: skip

    async def aclose(self) -> None:
        for carrier in self._carriers.values():
            await carrier.aclose()


# borzo.txt, "Error codes": requests_limit_exceeded past these, per token.
BORZO_LIMITS = "100/minute;5000/day"


def build_registry(
    settings: Settings,
    cache: Cache,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    redis: Redis | None = None,
) -> CarrierRegistry:
    """Adapters for every carrier whose credentials are set, each behind its breaker.

    ``redis``: the process's shared client for the breakers' state and Borzo's
    budget (its owner closes it); without it they live in this process's memory."""
    guards = {
        code: CarrierBreaker(
            code,
            threshold=settings.breaker_failures,
            reset_s=settings.breaker_reset_s,
            client=redis,
        )
        for code in CarrierCode
    }
    carriers: dict[CarrierCode, CarrierBase] = {}
    if settings.envio_api_key is not None:
        carriers[CarrierCode.ENVIO] = _envio(settings, settings.envio_api_key, transport, guards)
    if settings.borzo_auth_token is not None:
        token = settings.borzo_auth_token
        carriers[CarrierCode.BORZO] = _borzo(settings, token, transport, guards, redis)
    if settings.envoy_access_token is not None:
        carriers[CarrierCode.ENVOY] = envoy.EnvoyCarrier(
            base_url=settings.base_url(settings.envoy_base_url),
            access_token=settings.envoy_access_token.get_secret_value(),
            webhook_secret=_secret(settings.envoy_webhook_secret),
            timeout_s=settings.carrier_timeout_s,
            transport=transport,
            guard=guards[CarrierCode.ENVOY],
        )
    access, secret = settings.entrego_access_key, settings.entrego_secret_key
    if access is not None and secret is not None:
        carriers[CarrierCode.ENTREGO] = _entrego(settings, access, secret, cache, transport, guards)
    enabled = {code: guards[code] for code in carriers}
    return CarrierRegistry(carriers, enabled)


_Guards = Mapping[CarrierCode, CallGuard]


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _envio(
    settings: Settings,
    api_key: SecretStr,
    transport: httpx.AsyncBaseTransport | None,
    guards: _Guards,
) -> CarrierBase:
    return envio.EnvioCarrier(
        base_url=settings.base_url(settings.envio_base_url),
        api_key=api_key.get_secret_value(),
        webhook_token=_secret(settings.envio_webhook_token),
        timeout_s=settings.carrier_timeout_s,
        transport=transport,
        guard=guards[CarrierCode.ENVIO],
    )


def _borzo(
    settings: Settings,
    auth_token: SecretStr,
    transport: httpx.AsyncBaseTransport | None,
    guards: _Guards,
    redis: Redis | None,
) -> CarrierBase:
    token = auth_token.get_secret_value()
    limiter = WindowLimiter(
        CarrierCode.BORZO,
        BORZO_LIMITS,
        limiter_storage(settings.redis_url, None if redis is None else redis.connection_pool),
        account=token,
        max_wait_s=min(5.0, settings.carrier_timeout_s),
    )
    return borzo.BorzoCarrier(
        base_url=settings.base_url(settings.borzo_base_url),
        auth_token=token,
        callback_secret=_secret(settings.borzo_callback_secret),
        timeout_s=settings.carrier_timeout_s,
        transport=transport,
        limiter=limiter,
        guard=guards[CarrierCode.BORZO],
    )


def _entrego(
    settings: Settings,
    access_key: SecretStr,
    secret_key: SecretStr,
    cache: Cache,
    transport: httpx.AsyncBaseTransport | None,
    guards: _Guards,
) -> CarrierBase:
    key = access_key.get_secret_value()
    account = hashlib.sha256(key.encode()).hexdigest()[:16]
    return entrego.EntregoCarrier(
        base_url=settings.base_url(settings.entrego_base_url),
        core_url=settings.base_url(settings.entrego_core_url),
        access_key=key,
        secret_key=secret_key.get_secret_value(),
        webhook_token=_secret(settings.entrego_webhook_token),
        timeout_s=settings.carrier_timeout_s,
        # One JWT per account, shared by every process (cache/tokens.py).
        tokens=TokenCache(cache, key=f"entrego:jwt:{account}"),
        transport=transport,
        guard=guards[CarrierCode.ENTREGO],
    )
