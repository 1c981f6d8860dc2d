"""The facts every published number needs: machine, cores, versions, date."""

from __future__ import annotations

import datetime
import os
import platform

import zipcore


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts() -> dict:
    info = zipcore.build_info()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "compiler": info["compiler"],
        "zlib": info["zlib_linked"],
        "zipcore": info["version"],
    }
