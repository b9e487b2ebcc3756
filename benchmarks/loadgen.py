"""A small HTTP/1.1 load generator, used when `wrk` is not installed.

Usage: python loadgen.py SPEC_JSON

SPEC_JSON: {"port", "connections", "duration", "method", "path", "body", "users",
"tag"}. Keeps `connections` keep-alive connections busy for `duration` seconds and
prints one line `LOADJSON {...}` with the same fields as the wrk script's summary.
Placeholders in path and body are those of bench_http.fill. Standard library only
(uses uvloop when it is importable); far slower than wrk, so it takes a core of its own.
"""

import asyncio
import json
import sys
import time
from typing import Any


def fill(template: str, n: int, users: int, tag: str) -> str:
    """Replace {n} (a request counter), {id} (a user id, cycling) and {tag} (unique per run)."""
    return template.replace("{n}", str(n)).replace("{id}", str(n % users + 1)).replace("{tag}", tag)


class Load:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.counter = 0
        self.latencies: list[int] = []
        self.errors = 0
        self.non2xx = 0

    def next_request(self) -> bytes:
        self.counter += 1
        s = self.spec
        path = fill(s["path"], self.counter, s["users"], s["tag"])
        body = fill(s["body"], self.counter, s["users"], s["tag"]).encode() if s["body"] else b""
        head = f"{s['method']} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return (head + "\r\n").encode() + body

    async def connection(self, deadline: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.spec["port"])
        try:
            while time.monotonic() < deadline:
                start = time.perf_counter_ns()
                writer.write(self.next_request())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                self.latencies.append(time.perf_counter_ns() - start)
                if not 200 <= status < 300:
                    self.non2xx += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.errors += 1
        finally:
            writer.close()

    async def run(self) -> dict[str, Any]:
        start = time.monotonic()
        deadline = start + self.spec["duration"]
        await asyncio.gather(*(self.connection(deadline) for _ in range(self.spec["connections"])))
        elapsed = time.monotonic() - start
        ordered = sorted(self.latencies) or [0]

        def percentile(p: float) -> int:
            return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] // 1000

        return {
            "requests": len(self.latencies),
            "duration_us": int(elapsed * 1e6),
            "p50_us": percentile(50),
            "p99_us": percentile(99),
            "errors": self.errors,
            "non2xx": self.non2xx,
        }


def main() -> None:
    load = Load(json.loads(sys.argv[1]))
    try:
        import uvloop

        result = uvloop.run(load.run())
    except ImportError:
        result = asyncio.run(load.run())
    print("LOADJSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
