// The indexer's HTTP API: GraphQL (/graphql), SQL over HTTP for @ponder/client (/sql/*) and
// the REST endpoints the validator nodes, clients and auditors use (docs/indexer.md).
// Ponder itself serves /health, /ready, /status and /metrics.
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { client, graphql } from "ponder";
import { registerAccess } from "./access.js";
import { registerAudit } from "./audit.js";
import { registerHolders } from "./holders.js";
import { registerPolicies } from "./policies.js";
import { registerReplication } from "./replication.js";
import { registerValidators } from "./validators.js";

const app = new Hono();

app.use("/graphql", graphql({ db, schema }));
app.use("/sql/*", client({ db, schema }));

registerHolders(app);
registerValidators(app);
registerPolicies(app);
registerAccess(app);
registerAudit(app);
registerReplication(app);

export default app;
