"""Graceful shutdown, in three steps from SIGTERM on.

1. Drain: readiness answers 503 at once, and requests are still served for
   SHUTDOWN_DRAIN_SECONDS, long enough for a load balancer that checks readiness (or an
   orchestrator) to take this process out of rotation.
2. uvicorn's own shutdown: it stops accepting connections and gives in-flight requests
   SHUTDOWN_GRACE_SECONDS (its --timeout-graceful-shutdown, which serve.py sets).
3. The lifespan's end: the pool's connections are closed.
"""

import asyncio
import signal
import threading
from types import FrameType

# Set when this process begins to shut down: readiness answers 503 from then on.
begun = threading.Event()


def drain_on_sigterm(seconds: float) -> None:
    """Put a drain of `seconds` in front of the server's own SIGTERM handling.

    Called from the lifespan, once uvicorn has installed its signal handlers: the first
    SIGTERM sets `begun`, and reaches uvicorn's handler `seconds` later; another SIGTERM
    changes nothing. Without a handler to hand over to (not under a server, or not in
    the main thread, as in tests), nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    server_handler = signal.getsignal(signal.SIGTERM)
    if not callable(server_handler):
        return
    loop = asyncio.get_running_loop()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if begun.is_set():
            return
        begun.set()
        # The handler runs between any two bytecodes of the loop: only the thread-safe
        # call may touch it from here.
        loop.call_soon_threadsafe(loop.call_later, seconds, server_handler, signum, None)

    signal.signal(signal.SIGTERM, handle)
