"""How the service behaves when PostgreSQL fails under it."""

import logging

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.postgresql import create_engine

from .conftest import use_engine
from .postgresql import TcpProxy

SECRET = "s3cret-Pa55word"  # noqa: S105


async def test_outage_answers_503_and_recovers_without_restart(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    target = make_url(database_url)
    proxy = TcpProxy(target.host or "localhost", target.port or 5432)
    await proxy.start()
    url = target.set(host="127.0.0.1", port=proxy.port, password=SECRET)
    engine = create_engine(url.render_as_string(hide_password=False))
    logger = logging.getLogger("{{ cookiecutter.package_name }}")
    logger.addHandler(caplog.handler)
    try:
        transport = ASGITransport(app=use_engine(monkeypatch, engine), raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/health/ready")).status_code == 200
            await proxy.stop()

            down = [
                await client.get("/health/ready"),
                await client.get("/users/1"),
                await client.post("/users", json={"email": "a@example.com", "name": "A"}),
            ]
            live = await client.get("/health/live")
            await proxy.start()
            back = await client.get("/health/ready")
            missing = await client.get("/users/999999")
    finally:
        logger.removeHandler(caplog.handler)
        await proxy.stop()
        await engine.dispose()

    for response in down:
        assert response.status_code == 503
        assert response.json() == {"detail": "Database unavailable"}
        assert response.headers["Retry-After"] == "5"
    assert live.status_code == 200
    assert back.status_code == 200
    assert missing.status_code == 404
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert all(SECRET not in response.text for response in down)
