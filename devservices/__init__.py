"""Real services on loopback for tests, benchmarks and the local run.

PostgreSQL from the machine's server binaries (started as an unprivileged user when we
are root, since postgres refuses to run as root) and moto's server mode for S3, SQS, KMS
and Secrets Manager. Nothing here is a fake: both speak their real wire protocols.
"""

from devservices.faultproxy import FaultProxy
from devservices.moto_server import MotoServer
from devservices.postgres import PostgresServer, find_pg_bindir

__all__ = ["FaultProxy", "MotoServer", "PostgresServer", "find_pg_bindir"]
