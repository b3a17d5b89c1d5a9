// AttributeRegistry: namespaces, their ordered values, and grants with expiry.
import { on } from "./on.js";
import { attributeGrant, grantEvent, namespace, namespaceValue } from "ponder:schema";
import { attributeRuleName } from "../lib/codec.js";

on("AttributeRegistry:NamespaceCreated", async ({ event, context }) => {
  const { namespace: id, name, authority, rule, values } = event.args;
  await context.db.insert(namespace).values({
    id,
    name,
    authority,
    rule: attributeRuleName(rule),
    ruleCode: rule,
    valueCount: values.length,
    createdBlock: event.block.number,
    createdAt: event.block.timestamp,
  });
  if (values.length > 0) {
    await context.db
      .insert(namespaceValue)
      .values(values.map((valueName, value) => ({ namespace: id, value, name: valueName, addedBlock: event.block.number })));
  }
});

on("AttributeRegistry:NamespaceValueAdded", async ({ event, context }) => {
  const { namespace: id, value, name } = event.args;
  await context.db.insert(namespaceValue).values({ namespace: id, value, name, addedBlock: event.block.number });
  await context.db.update(namespace, { id }).set({ valueCount: value + 1 });
});

on("AttributeRegistry:NamespaceAuthorityTransferred", async ({ event, context }) => {
  const { namespace: id, newAuthority } = event.args;
  await context.db.update(namespace, { id }).set({ authority: newAuthority });
});

on("AttributeRegistry:GrantIssued", async ({ event, context }) => {
  const { namespace: ns, account, value, expiresAt } = event.args;
  const issued = {
    expiresAt,
    active: true,
    issuedBlock: event.block.number,
    issuedAt: event.block.timestamp,
    revokedBlock: null,
    revokedAt: null,
  };
  // A re-grant replaces the expiry (and revives a revoked grant), as on chain.
  await context.db
    .insert(attributeGrant)
    .values({ namespace: ns, account, value, ...issued })
    .onConflictDoUpdate(issued);
  await context.db.insert(grantEvent).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    namespace: ns,
    account,
    value,
    kind: "issued",
    expiresAt,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

on("AttributeRegistry:GrantRevoked", async ({ event, context }) => {
  const { namespace: ns, account, value } = event.args;
  await context.db
    .update(attributeGrant, { namespace: ns, account, value })
    .set({ active: false, revokedBlock: event.block.number, revokedAt: event.block.timestamp });
  await context.db.insert(grantEvent).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    namespace: ns,
    account,
    value,
    kind: "revoked",
    expiresAt: null,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});
