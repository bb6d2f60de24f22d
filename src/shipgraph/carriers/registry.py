"""Which carriers exist, which are enabled, and the adapters that serve them."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from shipgraph.carriers import envio
from shipgraph.carriers.base import CarrierBase, CarrierError, CarrierInfo
from shipgraph.config import Settings
from shipgraph.domain import Capability, CarrierCode, ErrorCode

# Carriers whose adapters are not built yet: described, never enabled, able to nothing.
_NOT_BUILT = {
    CarrierCode.BORZO: CarrierInfo(CarrierCode.BORZO, "Borzo", ("ID",), frozenset()),
    CarrierCode.ENTREGO: CarrierInfo(CarrierCode.ENTREGO, "Entrego", ("PH",), frozenset()),
    CarrierCode.ENVOY: CarrierInfo(CarrierCode.ENVOY, "Envoy", (), frozenset()),
}


class CarrierRegistry:
    def __init__(self, carriers: Mapping[CarrierCode, CarrierBase]) -> None:
        self._carriers = dict(carriers)

    def info(self, code: CarrierCode) -> CarrierInfo:
        carrier = self._carriers.get(code)
        if carrier is not None:
            return carrier.info
        if code == CarrierCode.ENVIO:
            return envio.INFO
        return _NOT_BUILT[code]

    def all(self) -> list[CarrierInfo]:
        return [self.info(code) for code in CarrierCode]

    def is_enabled(self, code: CarrierCode) -> bool:
        return code in self._carriers

    def get(self, code: CarrierCode, capability: Capability | None = None) -> CarrierBase:
        """The enabled carrier, or CarrierError UNSUPPORTED saying why not."""
        carrier = self._carriers.get(code)
        if carrier is None:
            if code in _NOT_BUILT:
                message = f"{code.value} is not available in this version of shipgraph"
            else:
                message = f"{code.value} is not configured (no credentials)"
            raise CarrierError(code, ErrorCode.UNSUPPORTED, message)
        if capability is not None and capability not in carrier.info.capabilities:
            message = f"{code.value} does not support {capability.value}"
            raise CarrierError(code, ErrorCode.UNSUPPORTED, message)
        return carrier

    def with_capability(self, capability: Capability) -> list[CarrierCode]:
        return [
            code for code, carrier in self._carriers.items()
            if capability in carrier.info.capabilities
        ]  # fmt: skip

    async def aclose(self) -> None:
        for carrier in self._carriers.values():
            await carrier.aclose()


def build_registry(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> CarrierRegistry:
    """Adapters for every carrier whose credentials are set."""
    carriers: dict[CarrierCode, CarrierBase] = {}
    if settings.envio_api_key is not None:
        token = settings.envio_webhook_token
        carriers[CarrierCode.ENVIO] = envio.EnvioCarrier(
            base_url=settings.base_url(settings.envio_base_url),
            api_key=settings.envio_api_key.get_secret_value(),
            webhook_token=token.get_secret_value() if token else None,
            timeout_s=settings.carrier_timeout_s,
            transport=transport,
        )
    return CarrierRegistry(carriers)
