"""The platform's two Lambda handlers and the small modules they share.

- ``audit_shipper``: S3 ObjectCreated → SQS → Lambda → the auditing institution (HTTPS).
- ``central_consumer``: the central SQS queue → Lambda → the central PostgreSQL database.

Both are SQS-triggered with ``ReportBatchItemFailures``: a message that cannot be handled is
reported back so that SQS redrives it and, after ``maxReceiveCount``, dead-letters it.
"""
