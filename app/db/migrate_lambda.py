"""Lambda mode's migration function: ``python -m app.db.migrate`` as one invocation.

Pulumi invokes it once per release in the primary region (``aws.lambda_.Invocation`` in
components/api_function.py), before any region's API function takes the new code. A
failure raises, so the invocation reports a function error and ``pulumi up`` stops there.
"""

from __future__ import annotations

import logging
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory

from app.db.migrate import MIGRATIONS, migrate_all
from app.db.shard_source import load_shard_map
from app.settings import Settings

log = logging.getLogger("app.migrate")


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:  # a migrations folder without revisions is a packaging error
        raise RuntimeError(f"no migration revision under {MIGRATIONS}")
    return head


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's entry point (``app.db.migrate_lambda.handler``); the event names the
    release being migrated for the log."""
    release = str(event.get("release", ""))
    settings = Settings()  # the API's settings, from the environment
    try:
        shards = migrate_all(settings, load_shard_map(settings))
    except Exception:
        log.exception("migration of release %s failed", release)
        raise
    result = {
        "jurisdiction": settings.jurisdiction,
        "release": release,
        "revision": head_revision(),
        "shards": shards,
    }
    log.info("migrated: %s", result)
    return result
