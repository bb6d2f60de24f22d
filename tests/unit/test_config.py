"""Settings from SHIPGRAPH_* variables: names, defaults, parsing, errors, secrets."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from shipgraph.config import ENV_PREFIX, ConfigError, Settings, load_settings, parse_api_keys


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own SHIPGRAPH_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


# (variable, value, attribute, expected): every row of ARCHITECTURE.md's table.
URLS = [
    ("ENVIO_BASE_URL", "https://envio.example/v1", "envio_base_url"),
    ("BORZO_BASE_URL", "https://borzo.example/api/business/1.6", "borzo_base_url"),
    ("ENTREGO_BASE_URL", "https://entrego.example", "entrego_base_url"),
    ("ENTREGO_CORE_URL", "https://core.entrego.example", "entrego_core_url"),
    ("ENVOY_BASE_URL", "https://envoy.example", "envoy_base_url"),
]
SECRETS = [
    ("ENVIO_API_KEY", "envio_api_key"),
    ("ENVIO_WEBHOOK_TOKEN", "envio_webhook_token"),
    ("BORZO_AUTH_TOKEN", "borzo_auth_token"),
    ("BORZO_CALLBACK_SECRET", "borzo_callback_secret"),
    ("ENTREGO_ACCESS_KEY", "entrego_access_key"),
    ("ENTREGO_SECRET_KEY", "entrego_secret_key"),
    ("ENTREGO_WEBHOOK_TOKEN", "entrego_webhook_token"),
    ("ENVOY_ACCESS_TOKEN", "envoy_access_token"),
    ("ENVOY_WEBHOOK_SECRET", "envoy_webhook_secret"),
]


def test_defaults_match_the_architecture_table() -> None:
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.api_keys == {}
    assert settings.base_url(settings.envio_base_url) == "https://api.envio.co.id/sandbox"
    assert (
        settings.base_url(settings.borzo_base_url)
        == "https://robotapitest-id.borzodelivery.com/api/business/1.6"
    )
    assert settings.base_url(settings.entrego_base_url) == "https://api-sandbox.entrego.org"
    assert settings.base_url(settings.entrego_core_url) == "https://api-core-staging.entrego.org"
    assert settings.base_url(settings.envoy_base_url) == "https://api.envoy.one"
    assert settings.carrier_timeout_s == 10
    for _, attribute in SECRETS:
        assert getattr(settings, attribute) is None, attribute
    assert settings.max_body_bytes == 1_000_000
    assert settings.max_query_depth == 12
    assert settings.max_aliases == 30
    assert settings.max_tokens == 2_000
    assert settings.graphiql is False
    assert settings.log_level == "INFO"


def test_redis_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPGRAPH_REDIS_URL", "redis://127.0.0.1:6390/3")
    assert load_settings().redis_url == "redis://127.0.0.1:6390/3"
    monkeypatch.setenv("SHIPGRAPH_REDIS_URL", "rediss://cache.example:6380/0")
    assert load_settings().redis_url == "rediss://cache.example:6380/0"
    monkeypatch.setenv("SHIPGRAPH_REDIS_URL", "")
    assert load_settings().redis_url is None


def test_api_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPGRAPH_API_KEYS", "acme:key-acme,globex:key-globex")
    assert load_settings().api_keys == {"key-acme": "acme", "key-globex": "globex"}


@pytest.mark.parametrize(("variable", "value", "attribute"), URLS)
def test_base_urls_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, attribute: str
) -> None:
    monkeypatch.setenv(ENV_PREFIX + variable, value + "/")
    settings = load_settings()
    assert settings.base_url(getattr(settings, attribute)) == value


@pytest.mark.parametrize(("variable", "attribute"), SECRETS)
def test_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, attribute: str
) -> None:
    monkeypatch.setenv(ENV_PREFIX + variable, f"value-of-{variable}")
    value = getattr(load_settings(), attribute)
    assert isinstance(value, SecretStr)
    assert value.get_secret_value() == f"value-of-{variable}"


@pytest.mark.parametrize(
    ("variable", "raw", "attribute", "expected"),
    [
        ("CARRIER_TIMEOUT_S", "2.5", "carrier_timeout_s", 2.5),
        ("MAX_BODY_BYTES", "2048", "max_body_bytes", 2048),
        ("MAX_QUERY_DEPTH", "5", "max_query_depth", 5),
        ("MAX_ALIASES", "7", "max_aliases", 7),
        ("MAX_TOKENS", "300", "max_tokens", 300),
        ("MAX_FIELDS", "50", "max_fields", 50),
        ("GRAPHIQL", "true", "graphiql", True),
        ("LOG_LEVEL", "debug", "log_level", "DEBUG"),
    ],
)
def test_other_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, attribute: str, expected: object
) -> None:
    monkeypatch.setenv(ENV_PREFIX + variable, raw)
    assert getattr(load_settings(), attribute) == expected


def test_explicit_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPGRAPH_CARRIER_TIMEOUT_S", "3")
    assert load_settings(carrier_timeout_s=4).carrier_timeout_s == 4


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/0")
    monkeypatch.setenv("CARRIER_TIMEOUT_S", "abc")
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.carrier_timeout_s == 10


# --- SHIPGRAPH_API_KEYS parsing ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("acme:k1", {"k1": "acme"}),
        ("acme:k1,globex:k2", {"k1": "acme", "k2": "globex"}),
        ("  acme : k1 ,  globex:k2  ", {"k1": "acme", "k2": "globex"}),
        ("acme:k1,,  ,globex:k2,", {"k1": "acme", "k2": "globex"}),
        (",", {}),
        # one tenant may have several keys (rotation)
        ("acme:old,acme:new", {"old": "acme", "new": "acme"}),
        # only the first colon separates: a key may contain colons
        ("acme:a:b", {"a:b": "acme"}),
    ],
)
def test_parse_api_keys(raw: str, expected: dict[str, str]) -> None:
    assert parse_api_keys(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "acme:same,globex:same",
        "acme:same,acme:same",
        "acme: same ,globex:same",
    ],
)
def test_a_key_used_twice_is_an_error(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_api_keys(raw)


@pytest.mark.parametrize("raw", ["acme", "acme:k1,globex", ":k1", "acme:", "acme: ", " : "])
def test_an_entry_without_tenant_and_key_is_an_error(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_api_keys(raw)


def test_bad_api_keys_in_the_environment_name_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHIPGRAPH_API_KEYS", "acme:dup,globex:dup")
    with pytest.raises(ConfigError, match="SHIPGRAPH_API_KEYS"):
        load_settings()
    monkeypatch.setenv("SHIPGRAPH_API_KEYS", "acme:k1,globex")
    with pytest.raises(ConfigError, match="SHIPGRAPH_API_KEYS"):
        load_settings()


def test_an_api_keys_error_does_not_echo_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The message reaches stderr and logs: it says where, never what the key is."""
    for raw, secrets in [
        ("acme:s3cret-one,globex:s3cret-one", ["s3cret-one"]),
        ("acme:s3cret-one,s3cret-two", ["s3cret-one", "s3cret-two"]),
        ("acme:s3cret-one,:s3cret-two", ["s3cret-one", "s3cret-two"]),
    ]:
        monkeypatch.setenv("SHIPGRAPH_API_KEYS", raw)
        with pytest.raises(ConfigError) as caught:
            load_settings()
        for secret in secrets:
            assert secret not in str(caught.value), (raw, str(caught.value))


# --- bad values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CARRIER_TIMEOUT_S", "abc"),
        ("CARRIER_TIMEOUT_S", "0"),
        ("CARRIER_TIMEOUT_S", "-1"),
        ("CARRIER_TIMEOUT_S", "301"),
        ("REDIS_URL", "http://x"),
        ("REDIS_URL", "localhost:6379"),
        ("ENVIO_BASE_URL", "not a url"),
        ("BORZO_BASE_URL", "ftp://borzo.example"),
        ("ENTREGO_BASE_URL", "not a url"),
        ("ENTREGO_CORE_URL", "not a url"),
        ("ENVOY_BASE_URL", "not a url"),
        ("LOG_LEVEL", "LOUD"),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_QUERY_DEPTH", "many"),
        ("MAX_ALIASES", "-3"),
        ("MAX_TOKENS", "1.5"),
        ("GRAPHIQL", "perhaps"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(ENV_PREFIX + variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert ENV_PREFIX + variable in str(caught.value)


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPGRAPH_CARRIER_TIMEOUT_S", "abc")
    monkeypatch.setenv("SHIPGRAPH_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "SHIPGRAPH_CARRIER_TIMEOUT_S" in str(caught.value)
    assert "SHIPGRAPH_LOG_LEVEL" in str(caught.value)


def test_a_bad_override_is_a_config_error_too() -> None:
    with pytest.raises(ConfigError, match="SHIPGRAPH_CARRIER_TIMEOUT_S"):
        load_settings(carrier_timeout_s="abc")


def test_config_error_is_not_a_validation_error() -> None:
    """load_settings hides pydantic: callers catch one exception type."""
    with pytest.raises(ConfigError) as caught:
        load_settings(redis_url="http://x")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- secrets -----------------------------------------------------------------------


def test_secrets_never_appear_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {variable: f"secret-{variable.lower()}" for variable, _ in SECRETS}
    for variable, value in values.items():
        monkeypatch.setenv(ENV_PREFIX + variable, value)
    monkeypatch.setenv("SHIPGRAPH_API_KEYS", "acme:tenant-key-acme,globex:tenant-key-globex")
    monkeypatch.setenv("SHIPGRAPH_REDIS_URL", "redis://default:redis-password@cache:6379/0")
    settings = load_settings()
    secrets = [*values.values(), "tenant-key-acme", "tenant-key-globex", "redis-password"]
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        for secret in secrets:
            assert secret not in text, secret
    for variable, attribute in SECRETS:
        assert isinstance(getattr(settings, attribute), SecretStr)
        assert getattr(settings, attribute).get_secret_value() == values[variable]
    # still useful to read, and hiding them changes nothing about their use
    assert "acme" in repr(settings)
    assert "redis://default:**********@cache:6379/0" in repr(settings)
    assert settings.api_keys == {"tenant-key-acme": "acme", "tenant-key-globex": "globex"}
    assert settings.redis_url == "redis://default:redis-password@cache:6379/0"


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError):
        settings.carrier_timeout_s = 1  # type: ignore[misc]
    assert isinstance(settings, Settings)
