"""Migrate every shard of this jurisdiction: ``python -m app.db.migrate``.

Runs against each shard's writer in the primary region, with the same settings (and so
the same auth mode) as the API.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from app.db.connect import connection_kwargs
from app.db.shard_source import load_shard_map
from app.settings import Settings
from app.shardmap import Shard, ShardMap

log = logging.getLogger("app.migrate")
MIGRATIONS = Path(__file__).with_name("migrations")


def migrate_shard(connect: Any, shard: Shard, jurisdiction: str, revision: str = "head") -> None:
    """Upgrade one shard; ``connect`` returns a new psycopg connection to its writer."""
    engine = create_engine("postgresql+psycopg://", creator=connect, poolclass=NullPool)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes.update(connection=conn, shard=shard, jurisdiction=jurisdiction)
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def migrate_all(settings: Settings, shard_map: ShardMap) -> list[str]:
    """Upgrade every shard in order; returns their names. The first failure raises."""
    done: list[str] = []
    for shard in shard_map.shards:
        ep = shard.regions[settings.primary_region]
        kwargs = connection_kwargs(
            settings,
            host=ep.writer,
            port=ep.port,
            dbname=ep.database,
            read_only=False,
            application_name="gdpr-migrate",
        )
        migrate_shard(lambda kw=kwargs: psycopg.connect(**kw()), shard, settings.jurisdiction)
        log.info("migrated %s", shard.name)
        done.append(shard.name)
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    settings = Settings()  # values come from the environment
    migrate_all(settings, load_shard_map(settings))


if __name__ == "__main__":
    main()
