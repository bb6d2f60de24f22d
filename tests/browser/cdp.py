"""Headless Chromium over the Chrome DevTools Protocol, with nothing but `websockets`.

`launch()` starts Debian's Chromium on a free DevTools port; `Browser` speaks CDP to
it (flattened sessions: one WebSocket, a sessionId per page); `Page` navigates,
evaluates JavaScript, types and waits for conditions, and keeps the console errors,
uncaught exceptions and CSP reports it sees.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
START_S = 20
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    # without these Chromium phones home, and this closed network refuses it
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "--mute-audio",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


class BrowserError(Exception):
    pass


@contextmanager
def launch() -> Iterator[str]:
    """Start Chromium with a throwaway profile; yield its browser WebSocket URL."""
    if not shutil.which(CHROMIUM):
        raise BrowserError(f"{CHROMIUM} not found: `make chromium` installs Debian's chromium")
    with tempfile.TemporaryDirectory(prefix="shipgraph-chromium-") as profile:
        log = Path(profile) / "chromium.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its helpers in a group of their own, ended together
            )
        try:
            yield _devtools_url(Path(profile), process, log)
        finally:
            _stop(process)


def _devtools_url(profile: Path, process: subprocess.Popen[bytes], log: Path) -> str:
    """Chromium writes its port and browser path to DevToolsActivePort once listening."""
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"chromium exited with {process.returncode}:\n{log.read_text()}")
        lines = active.read_text().splitlines() if active.exists() else []
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise BrowserError(f"chromium did not open DevTools within {START_S} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class _Session:
    events: list[dict[str, Any]] = field(default_factory=list)


class Browser:
    """One CDP connection to the browser; answers matched to calls by id."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._sessions: dict[str, _Session] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str) -> Browser:
        return cls(await websockets.connect(url, max_size=None, ping_interval=None))

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = answer
        await self._connection.send(json.dumps(message))
        result = await asyncio.wait_for(answer, 10)
        return result

    async def new_page(self) -> Page:
        """A tab in a fresh browser context (its own cookies and storage)."""
        context = (await self.call("Target.createBrowserContext"))["browserContextId"]
        target = await self.call(
            "Target.createTarget", {"url": "about:blank", "browserContextId": context}
        )
        attached = await self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        session = attached["sessionId"]
        self._sessions[session] = _Session()
        page = Page(self, session, context)
        for domain in ("Page", "Runtime", "Log"):
            await page.call(f"{domain}.enable")
        return page

    def events(self, session: str) -> list[dict[str, Any]]:
        return self._sessions[session].events

    async def close(self) -> None:
        self._reader.cancel()
        await self._connection.close()

    async def _read(self) -> None:
        async for raw in self._connection:
            message = json.loads(raw)
            if "id" in message:
                answer = self._waiting.pop(message["id"], None)
                if answer is None or answer.done():
                    continue
                if "error" in message:
                    answer.set_exception(BrowserError(json.dumps(message["error"])))
                else:
                    answer.set_result(message.get("result", {}))
            elif message.get("sessionId") in self._sessions:
                self._sessions[message["sessionId"]].events.append(message)


class Page:
    def __init__(self, browser: Browser, session: str, context: str) -> None:
        self.browser = browser
        self.session = session
        self.context = context

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.call(method, params, self.session)

    async def goto(self, url: str) -> None:
        navigated = await self.call("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise BrowserError(f"{url}: {navigated['errorText']}")
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        answer = await self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            raise BrowserError(json.dumps(answer["exceptionDetails"]))
        return answer["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 10) -> Any:
        """Evaluate ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout_s
        value: Any = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"not true within {timeout_s} s: {expression} (last: {value!r});"
            f" page problems: {self.problems()}"
        )

    async def type_into(self, selector: str, text: str) -> None:
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.call("Input.insertText", {"text": text})

    async def press_enter(self) -> None:
        key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        await self.call("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **key})
        await self.call("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    def problems(self) -> list[str]:
        """Uncaught exceptions, console errors and CSP violations, as text."""
        found: list[str] = []
        for event in self.browser.events(self.session):
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description") or details["text"])
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(" ".join(str(arg.get("value")) for arg in params["args"]))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    async def close(self) -> None:
        await self.browser.call("Target.disposeBrowserContext", {"browserContextId": self.context})
