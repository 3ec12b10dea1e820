"""One JSON line per log record on stderr, for CloudWatch via the cluster's log agent.

Messages are built by our code from route templates, shard names, counts and error
classes only; nothing here redacts, so nothing personal may be passed in.

A record that carries a metric (``extra={"metric": Metric(...)}``) becomes a CloudWatch
embedded-metric-format document: CloudWatch Logs turns the line into a metric data point
(Lambda's log stream does so as written; a cluster's log agent does so for lines it ships
with the ``json/emf`` format), so a shard's state is a metric without a metrics SDK.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: The namespace of the API's own metrics in CloudWatch.
METRIC_NAMESPACE = "gdpr-platform/api"


@dataclass(frozen=True)
class Metric:
    """One data point: ``name`` = ``value`` for the given dimensions (names to values)."""

    name: str
    value: float
    dimensions: tuple[tuple[str, str], ...]
    unit: str = "None"

    def emf(self, timestamp_s: float) -> dict[str, Any]:
        """The embedded-metric-format keys of a log line carrying this data point."""
        return {
            "_aws": {
                "Timestamp": int(timestamp_s * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [[k for k, _ in self.dimensions]],
                        "Metrics": [{"Name": self.name, "Unit": self.unit}],
                    }
                ],
            },
            **dict(self.dimensions),
            self.name: self.value,
        }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        metric = getattr(record, "metric", None)
        if isinstance(metric, Metric):
            line.update(metric.emf(record.created))
        return json.dumps(line)


def configure_logging(level: str) -> None:
    """Give the ``app`` loggers a JSON handler unless the host process set up logging."""
    root = logging.getLogger()
    app = logging.getLogger("app")
    app.setLevel(level)
    if not root.handlers and not app.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        app.addHandler(handler)
