"""The machine a benchmark ran on: one dict in every results file, one line in every report."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def cpu_name() -> str:
    """The CPU's model name (Linux), else what the platform module says."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def usable_cores() -> int:
    """The cores this process may run on (its affinity), which a container may limit."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages ('?' where /proc has none): is the machine idle?"""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def machine_info(*packages: str) -> dict[str, Any]:
    """Platform, CPU, cores, Python, load average and the versions of ``packages``."""
    info: dict[str, Any] = {"platform": platform.platform(), "cpu": cpu_name(),
                            "cores": os.cpu_count(), "usable_cores": usable_cores(),
                            "python": platform.python_version(), "loadavg": loadavg()}
    for package in packages:
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    return info


def describe(info: dict[str, Any]) -> str:
    """The report's machine line, e.g. ``machine: Linux-...; AMD EPYC; 2 cores (2 usable); ...``."""
    fixed = ("platform", "cpu", "cores", "usable_cores", "python", "loadavg")
    extra = "".join(f"; {key} {value}" for key, value in info.items() if key not in fixed)
    return (f"machine: {info['platform']}; {info['cpu']}; {info['cores']} cores "
            f"({info['usable_cores']} usable); Python {info['python']}; "
            f"load average {info['loadavg']}{extra}")
