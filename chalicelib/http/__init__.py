"""GraphQL over HTTP: media types, CORS, batches and request tracing, apart from the routes that use them."""
