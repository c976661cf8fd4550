"""DynamoDB storage through PynamoDB: one table per model plus the unique-guard table."""
