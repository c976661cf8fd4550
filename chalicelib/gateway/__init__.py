"""The deployed transport of subscriptions: API Gateway's WebSocket API (its `$connect`,
`$default` and `$disconnect` routes, each a Lambda invocation) and the handler of the models'
DynamoDB Streams, both carrying the transport-free core of chalicelib/subscriptions/."""
