"""Schema evolution: what a stage's tables and data must become for a schema (`plan`), carried
out on live data (`apply`). The record of the schema a stage is at, which the API checks when it
starts, is runtime: chalicelib/schema_state.py."""
