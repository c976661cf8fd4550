"""Genie's subscriptions: every committed change of a record, taken from its table's DynamoDB
Stream, matched against the open subscriptions and delivered to those allowed to read it.

The core is transport-free (events, filters, the index of subscriptions, delivery); the local
server (tooling/local/) and the deployed WebSocket API feed it stream records and carry its
messages.
"""
