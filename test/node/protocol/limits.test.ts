/**
 * node/protocol mirrors the contracts' limits and enums; this reads the Solidity and fails when
 * the two drift apart.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ACCESS_REASONS } from "../../../node/protocol/accessReasons.js";
import {
  MAX_AUDIT_BATCH,
  MAX_CONFIRMATION_BATCH,
  MAX_REPAIR_BATCH,
  MAX_REPLICATION_FACTOR,
  MAX_THRESHOLD_MEMBERS,
  MIN_THRESHOLD,
  NOT_ACTIVE_ERRORS,
  REPLICATION_MODES,
  VALIDATOR_STATUSES,
} from "../../../node/protocol/limits.js";

const sol = (file: string) => readFileSync(new URL(`../../../contracts/${file}`, import.meta.url), "utf8");

/** `uint256 <visibility> constant NAME = value;` in a contract's source. */
function constant(file: string, name: string): bigint {
  const match = new RegExp(`uint256\\s+(?:public|private|internal)\\s+constant\\s+${name}\\s*=\\s*([0-9_]+)\\s*;`).exec(sol(file));
  assert.ok(match, `${name} not found in ${file}`);
  return BigInt(match[1].replaceAll("_", ""));
}

/** The member names of `enum Name { … }`, comments removed, in order. */
function enumMembers(file: string, name: string): string[] {
  const match = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(sol(file));
  assert.ok(match, `enum ${name} not found in ${file}`);
  return match[1]
    .replace(/\/\/[^\n]*/g, "")
    .split(",")
    .map((member) => member.trim())
    .filter(Boolean);
}

const lowerFirst = (name: string) => name[0].toLowerCase() + name.slice(1);

describe("protocol limits match the contracts", () => {
  it("batch limits", () => {
    assert.equal(BigInt(MAX_AUDIT_BATCH), constant("RewrapAuditLog.sol", "MAX_BATCH"));
    assert.equal(BigInt(MAX_CONFIRMATION_BATCH), constant("ContentRegistry.sol", "MAX_BATCH"));
    assert.equal(BigInt(MAX_REPAIR_BATCH), constant("ContentRegistry.sol", "MAX_REPAIR_BATCH"));
    assert.equal(MAX_REPLICATION_FACTOR, constant("PolicyRegistry.sol", "MAX_REPLICATION_FACTOR"));
    assert.equal(BigInt(MIN_THRESHOLD), constant("PolicyRegistry.sol", "MIN_THRESHOLD"));
    assert.equal(BigInt(MAX_THRESHOLD_MEMBERS), constant("PolicyRegistry.sol", "MAX_THRESHOLD_MEMBERS"));
  });

  it("enums, by numeric value", () => {
    assert.deepEqual([...REPLICATION_MODES], enumMembers("types/DekmeshTypes.sol", "ReplicationMode").map(lowerFirst));
    assert.deepEqual([...VALIDATOR_STATUSES], enumMembers("types/DekmeshTypes.sol", "ValidatorStatus").map(lowerFirst));
    assert.deepEqual([...ACCESS_REASONS], enumMembers("types/DekmeshTypes.sol", "AccessReason"));
  });

  it("the not-active errors are declared by the contracts", () => {
    const interfaces = sol("interfaces/IRewrapAuditLog.sol") + sol("interfaces/IContentRegistry.sol");
    for (const name of NOT_ACTIVE_ERRORS) assert.match(interfaces, new RegExp(`error\\s+${name}\\(`));
  });

  it("a drifted value is caught", () => {
    assert.throws(() => assert.equal(999n, constant("RewrapAuditLog.sol", "MAX_BATCH")));
  });
});
