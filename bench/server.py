"""The benchmark's server process: the real API plus one bare baseline handler.

``python -m bench.server CONFIG.json``. The baseline runs the same query through the same
kind of pool and returns the same response model, without authentication, residency
guard or shard routing, so the difference between the two is what those cost.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from app.main import create_app
from app.settings import Settings
from app.users import repository
from app.users.schemas import UserOut


def build(config: dict[str, Any]) -> FastAPI:
    settings = Settings.model_validate_json(config["settings"])
    app = create_app(settings)
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
        config["baseline_dsn"],
        connection_class=AsyncConnection[DictRow],
        kwargs={"row_factory": dict_row},
        min_size=config["pool_size"],
        max_size=config["pool_size"],
        open=False,
    )
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            await pool.open(wait=True)
            try:
                yield
            finally:
                await pool.close()

    app.router.lifespan_context = lifespan

    @app.get("/baseline/users/{user_id}", response_model=UserOut)
    async def baseline(user_id: int) -> dict[str, Any]:
        async with pool.connection() as conn:
            row = await repository.get(conn, user_id)
        assert row is not None
        return row

    return app


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    logging.basicConfig(
        filename=config["log_file"], level=logging.INFO, format="%(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(
        build(config),
        host="127.0.0.1",
        port=config["port"],
        loop="uvloop",
        http="httptools",
        access_log=False,  # app.request already logs one line per request
        log_level="warning",
    )


if __name__ == "__main__":
    main()
