"""Benchmarks: DynamoDB round trips per operation, and time per request, against the embedded DynamoDB."""
