"""CPU work off the event loop, in a bounded pool of worker threads."""
from __future__ import annotations

import os
from typing import Any, Callable

import anyio


_LIMITER: list[anyio.CapacityLimiter] = []


async def _off_loop(func: Callable[..., Any], *args: Any) -> Any:
    """Run CPU work in a worker thread. ALIS_GRANT_THREADS bounds how many run at once in this
    process (default: anyio's pool of 40); the GIL lets only one compute anyway."""
    if not _LIMITER:
        threads = os.environ.get("ALIS_GRANT_THREADS")
        _LIMITER.append(anyio.CapacityLimiter(int(threads)) if threads else anyio.to_thread.current_default_thread_limiter())
    return await anyio.to_thread.run_sync(func, *args, limiter=_LIMITER[0])
