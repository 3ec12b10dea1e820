"""One JSON object per log line, so CloudWatch Logs Insights can filter on fields.

Callers pass only non-personal fields: message ids, hashes, counts, status codes, error
classes. Never a message body, an object key, a user id or an e-mail address.
"""

from __future__ import annotations

import json
import logging
from typing import Any


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps({"message": message, **fields}, default=str))
