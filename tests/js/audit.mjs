// The GraphQL over HTTP audit of graphql-http against a running server: `node audit.mjs <url>`.
// Prints one JSON array of {id, name, status, reason}; status is ok, notice (a MAY), warn (a
// SHOULD) or error (a MUST).
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
const summary = results.map(({ id, name, status, reason }) => ({ id, name, status, reason: reason ?? null }));
process.stdout.write(JSON.stringify(summary) + "\n");
