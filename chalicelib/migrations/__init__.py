"""Schema evolution: what a stage's tables and data must become for a schema (`plan`), carried
out on live data (`apply`), and the record of the schema a stage is at (`state`), which the API
checks when it starts."""
