// The indexer's tables: every piece of dekmesh state the contracts emit (docs/architecture.md#indexer-api).
//
// Conventions: addresses, ids and byte strings are lowercase 0x-hex; every uint64/uint256
// event field is `bigint` (numeric), because the contracts accept any uint64 (a validator may
// report any `servedAt`) and an int8 column would stop the indexer on overflow. Block numbers,
// timestamps and log indexes come from the node and fit int8/int4. History tables are keyed by
// (blockNumber, logIndex): the position of the event in the chain, unique and ordered.
import {
  bigint,
  hex,
  index,
  int8,
  integer,
  onchainTable,
  onchainView,
  primaryKey,
  relations,
  sql,
  type PgColumnsBuilders,
} from "ponder";
import { recordColumns, viewRecords } from "./lib/auditRecordsSql.js";

/** The event's place in the chain: the primary key of history tables. */
const position = (t: PgColumnsBuilders) => ({
  blockNumber: t.int8({ mode: "bigint" }).notNull(),
  logIndex: t.integer().notNull(),
});

// ---------------------------------------------------------------- validators

/** One row per validator node account (ValidatorRegistry). */
export const validator = onchainTable(
  "validator",
  (t) => ({
    node: t.hex().primaryKey(),
    operator: t.hex().notNull(),
    /** registered | active | exiting | exited | jailed (contracts' ValidatorStatus, lowercase). */
    status: t.text().notNull(),
    /** The operator revoked the node account (NodeRevoked); it never returns to the active set. */
    revoked: t.boolean().notNull(),
    stake: t.bigint().notNull(),
    /** Selection weight (stake / stakeUnit) while active, else 0. */
    weight: t.bigint().notNull(),
    currentKid: t.hex().notNull(),
    /** The current KAS key (compressed P-256), denormalised from kas_key for discovery. */
    kasPublicKey: t.hex().notNull(),
    /** libp2p peer id in its usual base58btc text form, and the raw multihash bytes. */
    peerId: t.text().notNull(),
    peerIdBytes: t.hex().notNull(),
    multiaddrs: t.text().array().notNull(),
    endpoint: t.text().notNull(),
    /** keccak256 of the node address: the validator's id in XOR placement (node/protocol/placement.ts). */
    xorId: t.hex().notNull(),
    /** When unbonding ends (exit, slash or revocation); 0 if never left the active set. */
    unbondingEndsAt: t.bigint().notNull(),
    slashedTotal: t.bigint().notNull(),
    /** Audit batches recorded so far; the next batch id is this + 1 (RewrapAuditLog.nextBatchId). */
    auditBatches: t.bigint().notNull(),
    registeredBlock: t.int8({ mode: "bigint" }).notNull(),
    registeredAt: t.int8({ mode: "bigint" }).notNull(),
    activatedAt: t.int8({ mode: "bigint" }),
    updatedBlock: t.int8({ mode: "bigint" }).notNull(),
    updatedAt: t.int8({ mode: "bigint" }).notNull(),
  }),
  (table) => ({
    statusIndex: index().on(table.status),
    operatorIndex: index().on(table.operator),
  }),
);

/** Every KAS key a node ever had, by key id, so headers naming a rotated key stay resolvable. */
export const kasKey = onchainTable(
  "kas_key",
  (t) => ({
    node: t.hex().notNull(),
    kid: t.hex().notNull(),
    publicKey: t.hex().notNull(),
    /** current | rotated (replaced, still valid) | revoked. */
    status: t.text().notNull(),
    addedBlock: t.int8({ mode: "bigint" }).notNull(),
    addedAt: t.int8({ mode: "bigint" }).notNull(),
    rotatedAt: t.int8({ mode: "bigint" }),
    revokedAt: t.int8({ mode: "bigint" }),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.node, table.kid] }) }),
);

/** Stake history: deposits, withdrawals and slashes, with the stake after each. */
export const stakeChange = onchainTable(
  "stake_change",
  (t) => ({
    ...position(t),
    node: t.hex().notNull(),
    /** deposit | withdrawal | slash */
    kind: t.text().notNull(),
    amount: t.bigint().notNull(),
    stakeAfter: t.bigint().notNull(),
    /** Slashes only: the adjudicator's reason (bytes32). */
    reason: t.hex(),
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.blockNumber, table.logIndex] }),
    nodeIndex: index().on(table.node),
  }),
);

/** Lifecycle history: every status change and revocation, with its cause. */
export const validatorStatusChange = onchainTable(
  "validator_status_change",
  (t) => ({
    ...position(t),
    node: t.hex().notNull(),
    /** registered | activated | exit_requested | withdrawn | slashed | node_revoked */
    cause: t.text().notNull(),
    fromStatus: t.text(),
    toStatus: t.text().notNull(),
    unbondingEndsAt: t.bigint(),
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.blockNumber, table.logIndex] }),
    nodeIndex: index().on(table.node),
  }),
);

/**
 * A validator's selection weight after each event that changed it: activation and stake
 * deposits while active (the weight is stake ÷ stake unit), and leaving the active set (0).
 */
export const weightChange = onchainTable(
  "weight_change",
  (t) => ({
    ...position(t),
    node: t.hex().notNull(),
    weight: t.bigint().notNull(),
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.blockNumber, table.logIndex] }),
    nodeIndex: index().on(table.node),
  }),
);

// ---------------------------------------------------------------- attributes

/** Attribute namespaces (AttributeRegistry); id = keccak256(name). */
export const namespace = onchainTable("namespace", (t) => ({
  id: t.hex().primaryKey(),
  name: t.text().notNull(),
  authority: t.hex().notNull(),
  /** allOf | anyOf | hierarchy */
  rule: t.text().notNull(),
  /** IAttributeRegistry.AttributeRule as a number. */
  ruleCode: t.integer().notNull(),
  valueCount: t.integer().notNull(),
  createdBlock: t.int8({ mode: "bigint" }).notNull(),
  createdAt: t.int8({ mode: "bigint" }).notNull(),
}));

/** A namespace's ordered values; for a hierarchy, value 0 is the highest rank. */
export const namespaceValue = onchainTable(
  "namespace_value",
  (t) => ({
    namespace: t.hex().notNull(),
    value: t.integer().notNull(),
    name: t.text().notNull(),
    addedBlock: t.int8({ mode: "bigint" }).notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.namespace, table.value] }) }),
);

/** The current grant of a value to an account: live while `active` and before `expiresAt`. */
export const attributeGrant = onchainTable(
  "attribute_grant",
  (t) => ({
    namespace: t.hex().notNull(),
    account: t.hex().notNull(),
    value: t.integer().notNull(),
    /** Unix seconds the grant stops counting; 0 = never. */
    expiresAt: t.bigint().notNull(),
    /** False once revoked (a later GrantIssued re-activates it). */
    active: t.boolean().notNull(),
    issuedBlock: t.int8({ mode: "bigint" }).notNull(),
    issuedAt: t.int8({ mode: "bigint" }).notNull(),
    revokedBlock: t.int8({ mode: "bigint" }),
    revokedAt: t.int8({ mode: "bigint" }),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.namespace, table.account, table.value] }),
    accountIndex: index().on(table.account, table.namespace),
  }),
);

/** Grant history: every issue (with its expiry) and revocation. */
export const grantEvent = onchainTable(
  "grant_event",
  (t) => ({
    ...position(t),
    namespace: t.hex().notNull(),
    account: t.hex().notNull(),
    value: t.integer().notNull(),
    /** issued | revoked */
    kind: t.text().notNull(),
    expiresAt: t.bigint(),
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.blockNumber, table.logIndex] }),
    accountIndex: index().on(table.account),
  }),
);

// ---------------------------------------------------------------- policies

const policyTerms = (t: PgColumnsBuilders) => ({
  /** [{ namespace, value }], sorted as on chain. */
  requirements: t.json().$type<{ namespace: `0x${string}`; value: number }[]>().notNull(),
  /** Empty = anyone may read. */
  allowlist: t.hex().array().notNull(),
  notBefore: t.bigint().notNull(),
  /** Inclusive; 0 = open end. */
  notAfter: t.bigint().notNull(),
  /** all | stake | xor | explicit */
  mode: t.text().notNull(),
  modeCode: t.integer().notNull(),
  k: t.integer().notNull(),
  explicitMembers: t.hex().array().notNull(),
  /** The condition tree in the grammar of docs/conditions.md (PolicyConditionsSet); null = none. */
  conditions: t.text(),
});

/** The current version of each policy (PolicyRegistry). */
export const policy = onchainTable(
  "policy",
  (t) => ({
    id: t.bigint().primaryKey(),
    publisher: t.hex().notNull(),
    version: t.integer().notNull(),
    revoked: t.boolean().notNull(),
    ...policyTerms(t),
    createdBlock: t.int8({ mode: "bigint" }).notNull(),
    createdAt: t.int8({ mode: "bigint" }).notNull(),
    updatedBlock: t.int8({ mode: "bigint" }).notNull(),
    updatedAt: t.int8({ mode: "bigint" }).notNull(),
    revokedBlock: t.int8({ mode: "bigint" }),
    revokedAt: t.int8({ mode: "bigint" }),
  }),
  (table) => ({ publisherIndex: index().on(table.publisher) }),
);

/** Every version of every policy, in full. */
export const policyVersion = onchainTable(
  "policy_version",
  (t) => ({
    policyId: t.bigint().notNull(),
    version: t.integer().notNull(),
    ...policyTerms(t),
    blockNumber: t.int8({ mode: "bigint" }).notNull(),
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.policyId, table.version] }) }),
);

// ---------------------------------------------------------------- contents and replicas

/** Registered contents (ContentRegistry); contentId = keccak256(cid bytes). */
export const content = onchainTable(
  "content",
  (t) => ({
    contentId: t.hex().primaryKey(),
    /** The CID in its canonical text form; null if the registered bytes are not a valid CID. */
    cid: t.text(),
    cidBytes: t.hex().notNull(),
    publisher: t.hex().notNull(),
    policyId: t.bigint().notNull(),
    initialValidator: t.hex().notNull(),
    mode: t.text().notNull(),
    header: t.hex().notNull(),
    /** The DEK wrapped to the publisher; "0x" if none. */
    recoveryEnvelope: t.hex().notNull(),
    registeredBlock: t.int8({ mode: "bigint" }).notNull(),
    registeredAt: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
    /**
     * Why the initial validator reported the content unusable (ContentReportedUnusable:
     * MalformedHeader, UnknownKasKey, PolicyMismatch); null while it is usable. Work lists leave
     * an unusable content out, and /holders lists nobody for it.
     */
    unusableReason: t.text(),
    unusableBlock: t.int8({ mode: "bigint" }),
    unusableAt: t.int8({ mode: "bigint" }),
  }),
  (table) => ({
    cidIndex: index().on(table.cid),
    policyIndex: index().on(table.policyId),
    publisherIndex: index().on(table.publisher),
  }),
);

/** The draw of a stake(k) content's replica set (emitted before ContentRegistered). */
export const replicaSet = onchainTable("replica_set", (t) => ({
  contentId: t.hex().primaryKey(),
  seed: t.bigint().notNull(),
  size: t.integer().notNull(),
  assignedBlock: t.int8({ mode: "bigint" }).notNull(),
  assignedAt: t.int8({ mode: "bigint" }).notNull(),
}));

/** The current member of each slot of a stake(k) replica set, after repairs; null = vacant. */
export const replicaSlot = onchainTable(
  "replica_slot",
  (t) => ({
    contentId: t.hex().notNull(),
    slot: t.integer().notNull(),
    validator: t.hex(),
    assignedBlock: t.int8({ mode: "bigint" }).notNull(),
    assignedAt: t.int8({ mode: "bigint" }).notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.contentId, table.slot] }),
    validatorIndex: index().on(table.validator),
  }),
);

/** Repair history (ReplicaRepaired). */
export const replicaRepair = onchainTable(
  "replica_repair",
  (t) => ({
    ...position(t),
    contentId: t.hex().notNull(),
    slot: t.integer().notNull(),
    previous: t.hex(),
    replacement: t.hex(),
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.blockNumber, table.logIndex] }),
    contentIndex: index().on(table.contentId),
  }),
);

/**
 * A threshold(m, n) content's dealing (ThresholdSharesDealt, emitted after ContentRegistered):
 * the m Feldman commitments readers check shares against (C_0 is the content key the header is
 * made against) and the draw its members came from (docs/threshold.md).
 */
export const thresholdDealing = onchainTable("threshold_dealing", (t) => ({
  contentId: t.hex().primaryKey(),
  m: t.integer().notNull(),
  n: t.integer().notNull(),
  /** m compressed P-256 points, 33 bytes each, C_0 first. */
  commitments: t.hex().notNull(),
  drawBlock: t.bigint().notNull(),
  seed: t.bigint().notNull(),
  dealtBlock: t.int8({ mode: "bigint" }).notNull(),
  dealtAt: t.int8({ mode: "bigint" }).notNull(),
}));

/**
 * The current slots of a threshold content, as ContentRegistry commits to them: the member, the
 * index (x) of the share it holds, and while it is being enrolled the member it replaces
 * (`previous`, null once ThresholdEnrollmentConfirmed). The dealt share sealed to the member is
 * kept for the slots nobody repaired; an enrolled member got its share from the others.
 */
export const thresholdSlot = onchainTable(
  "threshold_slot",
  (t) => ({
    contentId: t.hex().notNull(),
    slot: t.integer().notNull(),
    member: t.hex().notNull(),
    shareIndex: t.integer().notNull(),
    previous: t.hex(),
    sealedShare: t.hex(),
    assignedBlock: t.int8({ mode: "bigint" }).notNull(),
    assignedAt: t.int8({ mode: "bigint" }).notNull(),
    enrolledBlock: t.int8({ mode: "bigint" }),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.contentId, table.slot] }),
    memberIndex: index().on(table.member),
  }),
);

/** Validators that confirmed holding a content's DEK (HoldingConfirmed). */
export const holding = onchainTable(
  "holding",
  (t) => ({
    contentId: t.hex().notNull(),
    validator: t.hex().notNull(),
    firstConfirmedBlock: t.int8({ mode: "bigint" }).notNull(),
    firstConfirmedAt: t.int8({ mode: "bigint" }).notNull(),
    lastConfirmedBlock: t.int8({ mode: "bigint" }).notNull(),
    confirmations: t.integer().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.contentId, table.validator] }),
    validatorIndex: index().on(table.validator),
  }),
);

// ---------------------------------------------------------------- rewrap audit trail

/**
 * Audit batches (RewrapBatchRecorded), numbered per validator from 1, with their records packed
 * as the event carries them (indexer/lib/auditRecordsSql.ts says why, and how to read them).
 * `contentIds` and `requesters` list each batch's distinct values, GIN-indexed: /audit?cid= and
 * ?requester= find the batches that hold a record of interest without unpacking the others.
 */
export const rewrapBatch = onchainTable(
  "rewrap_batch",
  (t) => ({
    ...position(t),
    validator: t.hex().notNull(),
    batchId: t.bigint().notNull(),
    count: t.integer().notNull(),
    /** Time of the block that recorded it: what `/audit?from=&to=` filters on. */
    blockTimestamp: t.int8({ mode: "bigint" }).notNull(),
    txHash: t.hex().notNull(),
    /** `count` records of 92 bytes, exactly the event's `records`. */
    records: t.bytes().notNull(),
    contentIds: t.hex().array().notNull(),
    /** The batch's records of each of `contentIds`, in its order: a content's rewraps over time without unpacking. */
    contentCounts: t.integer().array().notNull(),
    requesters: t.hex().array().notNull(),
    /** RewrapBatchEvidenceCommitted (docs/accountability.md): the Merkle root and blob CID; null for a batch recorded without evidence. */
    evidenceRoot: t.hex(),
    evidenceCid: t.text(),
  }),
  // The API pages newest-first by (blockNumber, logIndex, record index) under optional filters.
  (table) => ({
    pk: primaryKey({ columns: [table.validator, table.batchId] }),
    positionIndex: index().on(table.blockNumber, table.logIndex),
    validatorIndex: index().on(table.validator, table.blockNumber, table.logIndex),
    timeIndex: index().on(table.blockTimestamp),
    contentIdsIndex: index().using("gin", table.contentIds),
    requestersIndex: index().using("gin", table.requesters),
  }),
);

/**
 * One audit record per served rewrap, unpacked from `rewrap_batch`: record `recordIndex` of the
 * RewrapBatchRecorded event at (blockNumber, logIndex). A view, so GraphQL (`rewraps`) and SQL
 * over HTTP see records; a filter on it unpacks every batch, which GET /audit avoids by asking
 * the batches' indexes first.
 */
export const rewrap = onchainView("rewrap", {
  blockNumber: int8({ mode: "bigint" }).notNull(),
  logIndex: integer().notNull(),
  recordIndex: integer().notNull(),
  contentId: hex().notNull(),
  requester: hex().notNull(),
  validator: hex().notNull(),
  requestDigest: hex().notNull(),
  /** As reported by the validator (unix seconds). */
  servedAt: bigint().notNull(),
  batchId: bigint().notNull(),
  blockTimestamp: int8({ mode: "bigint" }).notNull(),
  txHash: hex().notNull(),
}).as(
  sql`SELECT ${recordColumns("s")} FROM ${viewRecords(sql`${rewrapBatch}`)} s`,
);

// ---------------------------------------------------------------- challenges

/**
 * One row per challenge (Adjudicator, docs/challenges.md), from its opening to its settlement:
 * `status` open → answered (the bond went to the accused), slashed (upheld after the window)
 * or void (the accused had exited).
 */
export const challenge = onchainTable(
  "challenge",
  (t) => ({
    id: t.bigint().primaryKey(),
    /** withheld-rewrap, withheld-share or fabricated-record. */
    kind: t.text().notNull(),
    status: t.text().notNull(),
    challenger: t.hex().notNull(),
    accused: t.hex().notNull(),
    /** Last block the accused may answer in. */
    deadline: t.bigint().notNull(),
    openedBlock: t.int8({ mode: "bigint" }).notNull(),
    openedAt: t.int8({ mode: "bigint" }).notNull(),
    /** Withheld service: the content, the request's EIP-712 digest, a threshold member's share index. */
    contentId: t.hex(),
    requestDigest: t.hex(),
    shareIndex: t.integer(),
    /** Fabricated record: which record of which batch. */
    batchId: t.bigint(),
    recordIndex: t.bigint(),
    settledBlock: t.int8({ mode: "bigint" }),
    /** The answer as posted (withheld: envelope and signature, or share answer; fabricated: the call's arguments). */
    answer: t.hex(),
    slashed: t.bigint(),
    reward: t.bigint(),
  }),
  (table) => ({
    accusedIndex: index().on(table.accused),
    challengerIndex: index().on(table.challenger),
  }),
);

/** A signed answer proven bad on chain (Adjudicator `BadAnswerProven`): its member was slashed at once. */
export const badAnswer = onchainTable("bad_answer", (t) => ({
  ...position(t),
  member: t.hex().notNull(),
  prover: t.hex().notNull(),
  answerHash: t.hex().notNull(),
  /** wrong-index or invalid-ephemeral-key. */
  fault: t.text().notNull(),
  slashed: t.bigint().notNull(),
  reward: t.bigint().notNull(),
}), (table) => ({
  pk: primaryKey({ columns: [table.blockNumber, table.logIndex] }),
  memberIndex: index().on(table.member),
}));

// ---------------------------------------------------------------- indexer state

/**
 * The last event applied per domain (one row per contract: validators, attributes, policies,
 * contents, audit). An event is named by its block hash, so the value differs between forks;
 * the API keys its response cache by the domains an answer reads (indexer/src/api/version.ts):
 * audit batches then leave cached holder lists alone, and a reorg reverts these rows with
 * everything else.
 */
export const indexerState = onchainTable("indexer_state", (t) => ({
  domain: t.text().primaryKey(),
  /** `<block hash>:<log index>` of the last event applied in this domain. */
  lastEvent: t.text().notNull(),
  /** Chain events applied so far in this domain. */
  events: t.bigint().notNull(),
}));

// ---------------------------------------------------------------- relations (GraphQL traversal)

export const validatorRelations = relations(validator, ({ many }) => ({
  kasKeys: many(kasKey),
  stakeChanges: many(stakeChange),
  statusChanges: many(validatorStatusChange),
  holdings: many(holding),
}));
export const kasKeyRelations = relations(kasKey, ({ one }) => ({
  validator: one(validator, { fields: [kasKey.node], references: [validator.node] }),
}));
export const stakeChangeRelations = relations(stakeChange, ({ one }) => ({
  validator: one(validator, { fields: [stakeChange.node], references: [validator.node] }),
}));
export const weightChangeRelations = relations(weightChange, ({ one }) => ({
  validator: one(validator, { fields: [weightChange.node], references: [validator.node] }),
}));
export const validatorStatusChangeRelations = relations(validatorStatusChange, ({ one }) => ({
  validator: one(validator, { fields: [validatorStatusChange.node], references: [validator.node] }),
}));
export const namespaceRelations = relations(namespace, ({ many }) => ({
  values: many(namespaceValue),
  grants: many(attributeGrant),
}));
export const namespaceValueRelations = relations(namespaceValue, ({ one }) => ({
  namespace: one(namespace, { fields: [namespaceValue.namespace], references: [namespace.id] }),
}));
export const attributeGrantRelations = relations(attributeGrant, ({ one }) => ({
  namespace: one(namespace, { fields: [attributeGrant.namespace], references: [namespace.id] }),
}));
export const policyRelations = relations(policy, ({ many }) => ({
  versions: many(policyVersion),
  contents: many(content),
}));
export const policyVersionRelations = relations(policyVersion, ({ one }) => ({
  policy: one(policy, { fields: [policyVersion.policyId], references: [policy.id] }),
}));
export const contentRelations = relations(content, ({ one, many }) => ({
  policy: one(policy, { fields: [content.policyId], references: [policy.id] }),
  replicaSet: one(replicaSet, { fields: [content.contentId], references: [replicaSet.contentId] }),
  replicaSlots: many(replicaSlot),
  repairs: many(replicaRepair),
  holdings: many(holding),
  thresholdDealing: one(thresholdDealing, { fields: [content.contentId], references: [thresholdDealing.contentId] }),
  thresholdSlots: many(thresholdSlot),
}));
export const thresholdSlotRelations = relations(thresholdSlot, ({ one }) => ({
  content: one(content, { fields: [thresholdSlot.contentId], references: [content.contentId] }),
}));
export const replicaSlotRelations = relations(replicaSlot, ({ one }) => ({
  content: one(content, { fields: [replicaSlot.contentId], references: [content.contentId] }),
}));
export const replicaRepairRelations = relations(replicaRepair, ({ one }) => ({
  content: one(content, { fields: [replicaRepair.contentId], references: [content.contentId] }),
}));
export const holdingRelations = relations(holding, ({ one }) => ({
  content: one(content, { fields: [holding.contentId], references: [content.contentId] }),
  validator: one(validator, { fields: [holding.validator], references: [validator.node] }),
}));
