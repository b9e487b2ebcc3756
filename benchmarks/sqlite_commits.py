"""SQLite commit throughput: the generated engine (WAL, synchronous=NORMAL) against the defaults.

Bakes a SQLite project, then, in its environment, commits N one-row transactions into a
file database through the project's own `create_engine` and through a plain
`create_async_engine` (rollback journal, synchronous=FULL), alternating A B A B, and
prints commits per second and the ratio. Run from the repository root:

    uv run python benchmarks/sqlite_commits.py [--commits 2000]
"""

import argparse
import tempfile
from pathlib import Path

from benchlib import bake, clean_env, log, run

PROGRAM = """
import asyncio, sys, time
from pathlib import Path
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine
from my_service.database import Base, create_engine
from my_service.models import User

async def commits_per_second(engine, commits):
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    start = time.perf_counter()
    for n in range(commits):
        async with engine.begin() as conn:
            await conn.execute(insert(User).values(email=f"u{n}@example.com", name="U"))
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return commits / elapsed

async def main(folder, commits):
    results = {"generated": [], "default": []}
    for round in range(2):
        for name in results:
            url = f"sqlite+aiosqlite:///{folder}/{name}-{round}.db"
            engine = create_engine(url) if name == "generated" else create_async_engine(url)
            results[name].append(await commits_per_second(engine, commits))
    for name, rates in results.items():
        print(f"{name:10s} " + "  ".join(f"{r:8.0f}" for r in rates) + " commits/s")
    ratio = sum(results["generated"]) / sum(results["default"])
    print(f"generated / default: {ratio:.2f}")

asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        work = Path(tmp)
        log("baking a SQLite project")
        project = bake(work / "bake", "sqlite", use_alembic=False)
        run(["uv", "sync", "--quiet"], cwd=project)
        log(f"{args.commits} one-row commits per engine, A B A B")
        data = work / "data"
        data.mkdir()
        print(
            run(
                ["uv", "run", "--no-sync", "python", "-c", PROGRAM, str(data), str(args.commits)],
                cwd=project,
                env=clean_env(),
            ),
            end="",
        )


if __name__ == "__main__":
    main()
