// The indexer's HTTP API: GraphQL (/graphql), SQL over HTTP for @ponder/client (/sql/*) and
// the REST endpoints the validator nodes, clients and auditors use (docs/indexer.md).
// Ponder itself serves /health, /ready, /status and /metrics. GraphQL and SQL are public query
// surfaces, held to the limits in lib/publicLimits.ts (docs/operations.md).
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { client, graphql } from "ponder";
import { ApiError } from "../../lib/errors.js";
import { loadPublicLimits } from "../../lib/publicLimits.js";
import { registerAccess } from "./access.js";
import { registerAudit } from "./audit.js";
import { registerAuditEvidence } from "./auditEvidence.js";
import { registerContents } from "./contents.js";
import { registerExplorer } from "./explorer.js";
import { QueryGate } from "./gate.js";
import { graphqlGuard, graphqlRateLimited } from "./graphql.js";
import { registerHolders } from "./holders.js";
import { errorResponse } from "./http.js";
import { registerPolicies } from "./policies.js";
import { publicRate } from "./rateLimit.js";
import { registerReplication } from "./replication.js";
import { sqlGuard } from "./sql.js";
import { registerThreshold } from "./threshold.js";
import { registerValidators } from "./validators.js";

const limits = loadPublicLimits(process.env);
const gate = new QueryGate(limits.gate);

const app = new Hono();

const rate = publicRate(limits.ratePerSecond);
app.use("/graphql", rate(graphqlRateLimited));
app.use("/sql/*", rate((c) => errorResponse(c, new ApiError(429, "rate_limited", "too many public queries from this address; retry in a second"))));
app.use("/graphql", graphqlGuard(limits.graphql, gate, graphql({ db, schema })));
app.use("/sql/*", sqlGuard(limits.sql, gate));
app.use("/sql/*", client({ db, schema }));

registerHolders(app);
registerValidators(app);
registerPolicies(app);
registerContents(app);
registerAccess(app);
registerAudit(app, gate);
registerReplication(app);
registerThreshold(app);
registerExplorer(app, gate);
// After the explorer: its GET /audit/batches/:validator/:batchId would otherwise be taken by
// /audit/:validator/:batchId/:index with "batches" as the validator.
registerAuditEvidence(app, gate);

// Ponder's own answers to an unknown path and to a thrown error repeat the path, the error's
// message and the source file; these say neither.
app.all("*", (c) => errorResponse(c, new ApiError(404, "not_found", "no such endpoint")));
app.onError((error, c) => errorResponse(c, error));

export default app;
