"""Session-scoped real services for the Lambda tests: moto's server, PostgreSQL, the institution.

Every test gets its own bucket, queues and database (unique names), so tests never see each
other's messages while the servers start once per session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import psycopg
import pytest

from app.lambdas.audit_shipper import AuditShipper
from app.lambdas.central_store import schema_sql
from app.lambdas.institution import InstitutionClient, RetryPolicy, authorization_header
from app.lambdas.secrets import SecretCache
from devservices import MotoServer, PostgresServer
from tests.app.lambdas.harness import (
    FAST_POLICY,
    REGION,
    TOKEN,
    AuditPipeline,
    Aws,
    ShipperFactory,
    create_queue_with_dlq,
)
from tests.app.lambdas.institution_stub import InstitutionStub


@pytest.fixture(scope="session")
def aws() -> Iterator[Aws]:
    with MotoServer() as server:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        yield Aws(
            endpoint=server.endpoint,
            session=session,
            s3=session.client("s3", endpoint_url=server.endpoint),
            sqs=session.client("sqs", endpoint_url=server.endpoint),
            secrets=session.client("secretsmanager", endpoint_url=server.endpoint),
            kms=session.client("kms", endpoint_url=server.endpoint),
        )


@pytest.fixture
def aws_env(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """Environment as a Lambda has it, pointed at moto (boto3 honours AWS_ENDPOINT_URL)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    return aws


@pytest.fixture(scope="session")
def audit_key_arn(aws: Aws) -> str:
    key = aws.kms.create_key(Description="audit files (test)", KeyUsage="ENCRYPT_DECRYPT")
    key_id = key["KeyMetadata"]["KeyId"]
    aws.kms.enable_key_rotation(KeyId=key_id)
    return key["KeyMetadata"]["Arn"]


@pytest.fixture(scope="session")
def institution_stub() -> Iterator[InstitutionStub]:
    with InstitutionStub(TOKEN) as stub:
        yield stub


@pytest.fixture
def institution(institution_stub: InstitutionStub) -> InstitutionStub:
    institution_stub.reset()
    institution_stub.set_token(TOKEN)
    return institution_stub


@pytest.fixture
def institution_secret_arn(aws: Aws, audit_key_arn: str) -> str:
    """A fresh secret per test, so a rotation test cannot leak into the next one."""
    created = aws.secrets.create_secret(
        Name=f"institution-credential-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({"token": TOKEN}),
        KmsKeyId=audit_key_arn,
    )
    return created["ARN"]


@pytest.fixture
def audit_pipeline(aws: Aws, audit_key_arn: str) -> AuditPipeline:
    """Versioned SSE-KMS bucket → ObjectCreated notifications → SQS queue (CMK) with a DLQ."""
    suffix = uuid.uuid4().hex[:10]
    bucket = f"audit-files-{suffix}"
    queue_url, dlq_url = create_queue_with_dlq(aws, f"audit-{suffix}", audit_key_arn)
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    aws.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    aws.s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": audit_key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    aws.s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    return AuditPipeline(bucket=bucket, queue_url=queue_url, dlq_url=dlq_url)


@pytest.fixture
def make_shipper(
    aws: Aws, institution: InstitutionStub, institution_secret_arn: str
) -> ShipperFactory:
    def make(
        policy: RetryPolicy = FAST_POLICY,
        max_workers: int = 4,
        max_object_bytes: int = 20 * 1024 * 1024,
    ) -> AuditShipper:
        secrets = SecretCache(aws.secrets)

        def authorization(refresh: bool) -> str:
            return authorization_header(secrets.get(institution_secret_arn, refresh=refresh))

        client = InstitutionClient(institution.url, authorization, policy)
        return AuditShipper(
            aws.s3, client, max_workers=max_workers, max_object_bytes=max_object_bytes
        )

    return make


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture
def central_dsn(postgres: PostgresServer) -> str:
    """A fresh central database with the shipped schema applied."""
    dsn = postgres.create_database(f"central_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(schema_sql().encode())
    return dsn
