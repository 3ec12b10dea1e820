"""A user's transactions; each new one queues its audit PDF and central event."""
