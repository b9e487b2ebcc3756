"""How the service behaves when its SQLite file cannot be used."""

from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }} import models
from {{ cookiecutter.package_name }}.sqlite import create_engine

from .conftest import use_engine


async def test_unusable_file_answers_503_and_recovers_without_restart(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "data"  # missing: SQLite cannot open the file
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'app.db'}")
    transport = ASGITransport(app=use_engine(monkeypatch, engine), raise_app_exceptions=False)
    try:
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            down = [
                await client.get("/health/ready"),
                await client.get("/users/1"),
                await client.post("/users", json={"email": "a@example.com", "name": "A"}),
            ]
            live = await client.get("/health/live")
            folder.mkdir()
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
            back = await client.get("/health/ready")
            missing = await client.get("/users/999999")
    finally:
        await engine.dispose()

    for response in down:
        assert response.status_code == 503
        assert response.json() == {"detail": "Database unavailable"}
        assert response.headers["Retry-After"] == "5"
    assert live.status_code == 200
    assert back.status_code == 200
    assert missing.status_code == 404
