"""HTTP middleware, as plain ASGI (cheaper than BaseHTTPMiddleware): request ids, the
access log and request metrics, and the request body limit."""

import json
import logging
import re
import time
import uuid

from fastapi import HTTPException
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .logs import logger, request_id

# A caller's id is kept only if it is short and plain, so it cannot forge log lines.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
INTERNAL_ERROR = json.dumps({"detail": "Internal Server Error"}).encode()
TOO_LARGE = json.dumps({"detail": "Request body too large"}).encode()
# Polled by orchestrators and Prometheus: logged at DEBUG only, never counted or traced.
UNOBSERVED = frozenset({"/metrics", "/health/live", "/health/ready"})


def escape(value: str) -> str:
    """`value` with control characters, non-ASCII and backslashes escaped: a request can
    never start a new log line or send codes to the terminal that shows the log."""
    return value.encode("unicode_escape").decode("ascii")


async def send_json(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestLogMiddleware:
    """Give each request an id (the caller's X-Request-ID, or a new one), echo it back in
    the response, log one line with method, route template, path, status and duration,
    and count it in the request metrics (`count=False`: not).

    An error no handler answered is a bug: it is logged here, once, with the request's
    id and its traceback, and answered 500.
    """

    def __init__(self, app: ASGIApp, *, count: bool = True) -> None:
        self.app = app
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        observed = scope["path"] not in UNOBSERVED
        counted = self.count and observed
        if counted:
            metrics.IN_PROGRESS.inc()
        start = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error")
            if status:
                raise  # the answer has begun: the server can only drop the connection
            await send_json(send_with_id, 500, INTERNAL_ERROR)
        finally:
            seconds = time.perf_counter() - start
            # Set by the router once a route matched: its template, never the raw path.
            route = getattr(scope.get("route"), "path", metrics.UNMATCHED)
            level = logging.INFO if observed else logging.DEBUG
            if logger.isEnabledFor(level):
                logger.log(
                    level,
                    "%s %s %d %.1fms",
                    escape(scope["method"]),
                    escape(scope["path"]),
                    status,
                    seconds * 1000,
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    },
                )
            if counted:
                metrics.IN_PROGRESS.dec()
                metrics.observe(scope["method"], route, status, seconds)
            request_id.reset(token)


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; FastAPI answers it."""

    def __init__(self) -> None:
        super().__init__(413, "Request body too large")


class BodySizeLimitMiddleware:
    """Refuse a request body larger than `max_size` bytes with 413, without reading it
    whole: by its Content-Length when it has one, else as soon as the stream passes it."""

    def __init__(self, app: ASGIApp, max_size: int) -> None:
        self.app = app
        self.max_size = max_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_size:
            await send_json(send, 413, TOO_LARGE)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_size:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited_receive, send)
