"""Local development: the API on an embedded DynamoDB (moto), as `make run` starts it.

Not used in Lambda; needs the development requirements.
"""
