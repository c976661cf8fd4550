"""Shoreline: a schema-first GraphQL backend on Chalice, Ariadne and DynamoDB."""
