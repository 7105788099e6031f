"""Start the real service (`alis-grant serve`, uvicorn) in a subprocess on a free loopback port,
for the service, page and load tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None, workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("ALIS_GRANT_")}
        full_env.update(env or {})
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grants.cli", "serve", "--port", str(self.port), "--workers", str(workers), *args],
            stdout=self._fh, stderr=subprocess.STDOUT, env=full_env,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self.proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the service did not answer /health within 60 s")
            time.sleep(0.2)

    def logs(self) -> str:
        self._fh.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._fh.close()
