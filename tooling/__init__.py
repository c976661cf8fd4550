"""What requests never need, kept out of the Lambda package (Chalice ships app.py and chalicelib/
only): the command line, the local server and its embedded DynamoDB, deploy generators,
migrations, export / import and the consistency check. `python -m chalicelib` runs the command
line from a checkout."""
