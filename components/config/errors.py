"""The one error bad stack config raises."""

from __future__ import annotations

NAMESPACE = "gdpr-platform"


class ConfigError(Exception):
    """Bad stack config. ``str(err)`` is the one-line message shown to the user."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key if key.startswith(f"{NAMESPACE}:") else f"{NAMESPACE}:{key}"
        self.message = message
        super().__init__(f"{self.key}: {message}")
