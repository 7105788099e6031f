"""Run the real command line (`grants.cli.main`, as `alis-grant` runs it) in a subprocess, with
an optional fault injected first (a disk that fills, memory that runs out) and its peak memory
reported: what a user sees, exit code and all."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

_RUNNER = """
import os, resource, sys
shim = os.environ.pop("ALIS_TEST_SHIM", "")
if shim:
    exec(shim)
from grants.cli import main
try:
    code = main(sys.argv[1:])
finally:
    if os.environ.get("ALIS_TEST_PEAK"):
        # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's over exec
        try:
            with open("/proc/self/status") as fh:
                peak = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))
        except (OSError, StopIteration):
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sys.stderr.write("PEAK_KB=%d\\n" % peak)
sys.exit(code)
"""

DISK_FULL = """
import errno, io, os
_budget = int(os.environ.get("ALIS_TEST_FULL_AFTER", "0"))
_real_fdopen = os.fdopen

class _FullDisk(io.FileIO):
    written = 0

    def write(self, data):
        if _FullDisk.written + len(data) > _budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _FullDisk.written += len(data)
        return super().write(data)

def _fdopen(fd, mode="r", *args, **kwargs):
    # the files a command writes (grants.io.output.atomic_output opens them with os.fdopen)
    if "w" not in mode:
        return _real_fdopen(fd, mode, *args, **kwargs)
    buffered = io.BufferedWriter(_FullDisk(fd, "w"))
    if "b" in mode:
        return buffered
    return io.TextIOWrapper(buffered, encoding=kwargs.get("encoding"), newline=kwargs.get("newline"))

os.fdopen = _fdopen
"""
"""A disk that is full after ALIS_TEST_FULL_AFTER bytes of the files the command writes."""


def no_memory_in(module: str, function: str) -> str:
    """A shim making `module.function` run out of memory, as a huge file would."""
    return f"""
import importlib
_m = importlib.import_module({module!r})
def _out_of_memory(*args, **kwargs):
    raise MemoryError()
setattr(_m, {function!r}, _out_of_memory)
"""


def run_cli(*args: str | os.PathLike, cwd: Path | None = None, shim: str = "", env: dict[str, str] | None = None,
            peak: bool = False, timeout: float = 300, preexec_fn=None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIS_GRANT_", "ALIS_TEST_"))}
    full_env.update(env or {})
    if shim:
        full_env["ALIS_TEST_SHIM"] = shim
    if peak:
        full_env["ALIS_TEST_PEAK"] = "1"
    return subprocess.run([sys.executable, "-c", _RUNNER, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout, preexec_fn=preexec_fn)


def peak_mb(proc: subprocess.CompletedProcess) -> float:
    found = re.search(r"PEAK_KB=(\d+)", proc.stderr)
    assert found, proc.stderr[-2000:]
    return int(found.group(1)) / 1024


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """stderr without the peak line and the notes (Merk: ...)."""
    return [line for line in proc.stderr.splitlines() if line and not line.startswith(("PEAK_KB=", "Merk:"))]
