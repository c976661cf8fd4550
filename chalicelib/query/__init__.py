"""Reading: where-clauses, ordering, cursors, and the plan that turns them into DynamoDB calls."""
