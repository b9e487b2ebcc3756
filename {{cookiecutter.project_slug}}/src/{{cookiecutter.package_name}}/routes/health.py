"""Health checks for orchestrators: liveness never touches the database, readiness does."""

from fastapi import APIRouter
from sqlalchemy import text

from ..database import ReadConnection

router = APIRouter(prefix="/health", tags=["health"])

SELECT_1 = text("SELECT 1")


@router.get("/live")
async def live() -> dict[str, str]:
    """The process answers: restarting it would not help."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database cannot be reached"}})
async def ready(connection: ReadConnection) -> dict[str, str]:
    """The database answers; when it does not, the app's error handler answers 503."""
    await connection.execute(SELECT_1)
    return {"status": "ready"}
