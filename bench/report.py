"""The printed figures: one line per comparison, subject against its baseline."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from dataclasses import dataclass

from bench.measure import Latency, Throughput


@dataclass(frozen=True, slots=True)
class LatencyRow:
    case: str
    subject: str
    measured: Latency
    baseline: str
    reference: Latency

    def line(self) -> str:
        p50 = self.measured.p50_ms / self.reference.p50_ms
        p95 = self.measured.p95_ms / self.reference.p95_ms
        return (
            f"{self.case:<8} {_latency(self.subject, self.measured)}"
            f"  vs  {_latency(self.baseline, self.reference)}"
            f"  ratio p50 {p50:5.2f}x  p95 {p95:5.2f}x"
        )


@dataclass(frozen=True, slots=True)
class ThroughputRow:
    case: str
    subject: str
    measured: Throughput
    baseline: str
    reference: Throughput

    def line(self) -> str:
        ratio = self.measured.per_second / self.reference.per_second
        return (
            f"{self.case:<8} {self.subject:<18} {self.measured.per_second:7.0f} req/s"
            f"  vs  {self.baseline:<18} {self.reference.per_second:7.0f} req/s"
            f"  ratio {ratio:6.3f}x"
        )


def _latency(name: str, latency: Latency) -> str:
    return f"{name:<18} p50 {latency.p50_ms:6.2f} ms  p95 {latency.p95_ms:6.2f} ms"


def machine() -> str:
    """Python version, CPU count and platform, once at the top."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return (
        f"shipgraph benchmark  {now}\n"
        f"python {python}  cpus {os.cpu_count()}  platform {platform.platform()}\n"
        f"cpu {cpu_model()}\n"
        f"{load()}"
    )


def load() -> str:
    """The machine's load averages: other work running beside the benchmark shows here."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cpus)"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def section(title: str) -> None:
    print(f"\n{title}")
    sys.stdout.flush()


def show(rows: list[LatencyRow] | list[ThroughputRow]) -> None:
    for row in rows:
        print(row.line())
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Target:
    """A figure the issue sets a bar for, and whether this run cleared it."""

    benchmark: str
    figure: str
    value: float
    bar: str
    met: bool

    def line(self) -> str:
        verdict = "met" if self.met else "MISSED"
        bar = f"bar {self.bar}"
        return f"{self.benchmark:<8} {self.figure:<44} {self.value:9.2f}  {bar:<12} {verdict}"


def at_most(benchmark: str, figure: str, value: float, bar: float) -> Target:
    return Target(benchmark, figure, value, f"<= {bar:g}", value <= bar)


def at_least(benchmark: str, figure: str, value: float, bar: float) -> Target:
    return Target(benchmark, figure, value, f">= {bar:g}", value >= bar)


def show_targets(targets: list[Target]) -> None:
    section("targets (issues 6 and 13)")
    for target in targets:
        print(target.line())
    sys.stdout.flush()


def ms(ns: float) -> str:
    return f"{ns / 1_000_000:7.2f} ms"
