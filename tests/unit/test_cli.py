"""`shipgraph serve | dev | sandbox | schema`, run as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from shipgraph import cli
from shipgraph.cli import main
from shipgraph.config import Settings
from shipgraph.sandbox.mounts import ENVIO_API_KEY, ENVIO_WEBHOOK_TOKEN
from tests.support.redis_server import free_port

STARTUP_S = 20
SHUTDOWN_S = 10
SCRIPT = Path(sys.executable).parent / "shipgraph"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any SHIPGRAPH_* variable, plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SHIPGRAPH_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def clear_shipgraph_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SHIPGRAPH_"):
            monkeypatch.delenv(name)


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m shipgraph <args>`` with only ``env`` set, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "shipgraph", *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )


def command(*args: str) -> list[str]:
    """The installed console script when there is one, ``python -m shipgraph`` otherwise."""
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "shipgraph", *args]


@contextmanager
def running(*args: str, forbidden: Sequence[str] = ()) -> Iterator[str]:
    """Start ``shipgraph <args> --port <free>`` and yield its base URL; then terminate
    it, insist it exits in time, and check its output for tracebacks and ``forbidden``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            command(*args, "--port", str(port)),
            env=clean_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield base
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=SHUTDOWN_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    output.seek(0)
                    pytest.fail(f"did not exit within {SHUTDOWN_S} s of SIGTERM:\n{output.read()}")
            output.seek(0)
            log = output.read()
            assert "simulators at" in log, f"the start-up banner is missing:\n{log}"
            assert "Traceback" not in log, log
            for secret in forbidden:
                assert secret not in log, f"{secret!r} in the output:\n{log}"


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + STARTUP_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer 200 within {STARTUP_S} s ({last!r})")


# --- schema, help, bad configuration -----------------------------------------------


def test_schema_prints_the_sdl() -> None:
    result = run("schema")
    assert result.returncode == 0, result.stderr
    sdl = result.stdout
    for definition in ("type Query", "type Mutation", "type Subscription", "scalar DateTime"):
        assert definition in sdl
    assert "createShipment(" in sdl
    assert sdl.endswith("\n")


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for name in ("serve", "dev", "sandbox", "schema"):
        assert name in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "usage" in capsys.readouterr().err.lower()


def test_serve_with_a_bad_setting_exits_2_naming_the_variable() -> None:
    result = run("serve", "--port", str(free_port()), SHIPGRAPH_CARRIER_TIMEOUT_S="abc")
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert "SHIPGRAPH_CARRIER_TIMEOUT_S" in message
    assert "Traceback" not in message
    assert "\n\n" not in message, "one paragraph"
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize("name", ["serve", "dev", "sandbox"])
def test_every_command_reports_a_bad_setting_the_same_way(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """In process (cheaper than a subprocess each): settings are read before anything
    starts, and the ConfigError becomes exit code 2 with its message on stderr."""
    clear_shipgraph_env(monkeypatch)
    monkeypatch.setenv("SHIPGRAPH_LOG_LEVEL", "LOUD")
    with pytest.raises(SystemExit) as exited:
        main([name, "--port", str(free_port())])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "SHIPGRAPH_LOG_LEVEL" in err
    assert "Traceback" not in err


def test_a_bad_api_key_list_is_reported_without_the_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clear_shipgraph_env(monkeypatch)
    monkeypatch.setenv("SHIPGRAPH_API_KEYS", "acme:key-one,key-two-alone")
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", str(free_port())])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "SHIPGRAPH_API_KEYS" in err
    assert "key-one" not in err
    assert "key-two-alone" not in err


# --- real start-ups ----------------------------------------------------------------


def test_dev_serves_graphiql_gateway_and_simulator() -> None:
    secrets = [ENVIO_API_KEY, ENVIO_WEBHOOK_TOKEN]
    # no access log: a webhook's ?token= and the simulator's ?token= stay out of it
    with running("dev", "--advance-every", "0", forbidden=secrets) as base:
        wait_until_up(f"{base}/healthz")

        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=5)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "demo-key" in page.text
        assert "wsConnectionParams" in page.text

        answer = httpx.post(
            f"{base}/graphql",
            json={"query": "{ carriers { code enabled } }"},
            headers={"Authorization": "Bearer demo-key"},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "errors" not in body, body
        enabled = {c["code"]: c["enabled"] for c in body["data"]["carriers"]}
        assert enabled["ENVIO"] is True

        anonymous = httpx.post(
            f"{base}/graphql", json={"query": "{ carriers { code } }"}, timeout=5
        )
        assert anonymous.status_code == 401

        missing = httpx.get(
            f"{base}/sandbox/envio/tracking/distribution",
            params={"code": "x", "token": ENVIO_API_KEY},
            timeout=5,
        )
        assert missing.status_code == 404, missing.text
        assert missing.json() == {"message": "shipment not found"}

        webhook = httpx.post(
            f"{base}/webhooks/envio",
            params={"token": ENVIO_WEBHOOK_TOKEN},
            content=b"{not json",
            timeout=5,
        )
        assert webhook.status_code == 400


def test_sandbox_serves_the_simulators_alone() -> None:
    with running("sandbox", "--advance-every", "0") as base:
        wait_until_up(f"{base}/envio/_control/shipments")
        answer = httpx.get(f"{base}/envio/_control/shipments", timeout=5)
        assert answer.status_code == 200
        assert httpx.get(f"{base}/graphql", timeout=5).status_code == 404


def dev_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings `shipgraph dev` would serve with (nothing is served)."""
    served: list[Settings] = []
    monkeypatch.setattr(cli, "_serve", lambda app, args, settings: served.append(settings))
    main(["dev", "--port", str(free_port())])
    return served[0]


def test_dev_polls_often_and_signs_in_the_demo_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_shipgraph_env(monkeypatch)
    settings = dev_settings(monkeypatch)
    assert settings.poll_s == cli.DEV_POLL_S
    assert list(settings.api_keys.values()) == ["demo"]


def test_dev_keeps_what_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_shipgraph_env(monkeypatch)
    monkeypatch.setenv("SHIPGRAPH_POLL_S", "0")
    monkeypatch.setenv("SHIPGRAPH_API_KEYS", "acme:key-acme")
    settings = dev_settings(monkeypatch)
    assert settings.poll_s == 0
    assert list(settings.api_keys.values()) == ["acme"]
