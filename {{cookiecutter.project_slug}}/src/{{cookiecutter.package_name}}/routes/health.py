"""Health checks for orchestrators: liveness never touches the database, readiness does."""

import asyncio

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import text

from .. import database, shutdown
from ..errors import Unavailable, documented

router = APIRouter(prefix="/health", tags=["health"])

SELECT_1 = text("SELECT 1")
# Readiness answers within this many seconds, whatever the pool's state.
READY_TIMEOUT = 2.0


@router.get("/live")
async def live() -> dict[str, str]:
    """The process answers: restarting it would not help."""
    return {"status": "ok"}


@router.get("/ready", responses=documented(503))
async def ready() -> dict[str, str]:
    """The database answers a query within READY_TIMEOUT seconds, and the process is not
    shutting down (from SIGTERM on: balancers stop sending it requests)."""
    if shutdown.begun.is_set():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Shutting down")
    try:
        async with (
            asyncio.timeout(READY_TIMEOUT),
            database.statement_engine.connect() as connection,
        ):
            await connection.execute(SELECT_1)
    except TimeoutError:
        raise Unavailable from None
    return {"status": "ready"}
