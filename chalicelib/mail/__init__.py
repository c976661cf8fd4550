"""Email to users: a message, and the senders that deliver it (SES deployed, a local outbox under `make run`)."""
