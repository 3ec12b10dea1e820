"""gdpr-platform application code: the API service, its workers and the Lambda handlers."""
