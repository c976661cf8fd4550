"""Deployment artefacts generated from the schema: the tables' CloudFormation and the IAM policy."""
