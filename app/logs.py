"""One JSON line per log record on stderr, for CloudWatch via the cluster's log agent.

Messages are built by our code from route templates, shard names, counts and error
classes only; nothing here redacts, so nothing personal may be passed in.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "msg": record.getMessage(),
            }
        )


def configure_logging(level: str) -> None:
    """Give the ``app`` loggers a JSON handler unless the host process set up logging."""
    root = logging.getLogger()
    app = logging.getLogger("app")
    app.setLevel(level)
    if not root.handlers and not app.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        app.addHandler(handler)
