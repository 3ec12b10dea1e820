"""The residency guard: refuse cross-jurisdiction access before any database is touched."""
