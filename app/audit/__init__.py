"""The audit outbox: after each transaction, a PDF to the regional bucket and a
pseudonymized event to the central queue, delivered by a worker process."""
