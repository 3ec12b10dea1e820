"""The API application: ``uvicorn app.main:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import health
from app.auth.tokens import TokenVerifier
from app.context import AppContext
from app.db.router import ShardRouter
from app.db.shard_source import check_fits, load_shard_map
from app.errors import install_error_handlers
from app.gdpr.router import router as gdpr_router
from app.logs import configure_logging
from app.middleware import ApiMiddleware
from app.residency.guard import ResidencyGuard
from app.settings import Settings
from app.shardmap import ShardMap
from app.transactions.router import router as transactions_router
from app.users.router import router as users_router

API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None, shard_map: ShardMap | None = None) -> FastAPI:
    settings = settings or Settings()  # from the environment
    if shard_map is None:
        shard_map = load_shard_map(settings)
    else:
        check_fits(shard_map, settings)
    configure_logging(settings.log_level)
    router = ShardRouter(settings, shard_map)
    ctx = AppContext(
        settings=settings,
        shard_map=shard_map,
        router=router,
        guard=ResidencyGuard(shard_map, settings.peers),
        verifier=TokenVerifier.from_settings(settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await router.open()
        try:
            yield
        finally:
            await router.close()

    app = FastAPI(
        title=f"gdpr-platform API ({shard_map.jurisdiction})",
        version=API_VERSION,
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url=None,  # the CSP allows no scripts; read the OpenAPI document instead
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.add_middleware(
        ApiMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        request_timeout_s=settings.request_timeout_s,
        retry_after_s=settings.db_retry_after_s,
    )
    for part in (health.router, users_router, transactions_router, gdpr_router):
        app.include_router(part)
    return app
