"""Shard databases: how to reach them, the per-shard pools, and the schema migrations."""
