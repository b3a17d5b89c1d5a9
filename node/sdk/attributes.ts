/**
 * Attribute helpers: "namespace/value" text ↔ (namespace id, value index), and the authority's
 * transactions. Value names live only in AttributeRegistry events (the contract stores hashes),
 * so a name is resolved from the namespace's NamespaceCreated and NamespaceValueAdded logs —
 * read from the chain, filtered by the indexed namespace id, so no indexer is trusted for it.
 */
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { attributeRegistryAbi, sendContractWrite, type ChainClients, type WriteResult } from "../chain/index.js";
import { clientError, DekmeshClientError } from "./errors.js";

export type AttributeRule = "allOf" | "anyOf" | "hierarchy";
const RULES: Record<AttributeRule, number> = { allOf: 0, anyOf: 1, hierarchy: 2 };

export interface ResolvedAttribute {
  text: string;
  namespace: Hex;
  value: number;
}

export function namespaceId(name: string): Hex {
  return keccak256(toHex(name));
}

function splitAttribute(text: string): { namespace: string; value: string } {
  const parts = typeof text === "string" ? text.split("/") : [];
  if (parts.length !== 2 || parts[0]!.length === 0 || parts[1]!.length === 0) {
    throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", 'an attribute is written "namespace/value"', { details: { attribute: String(text).slice(0, 140) } });
  }
  return { namespace: parts[0]!, value: parts[1]! };
}

export class Attributes {
  readonly #clients: ChainClients;
  /** namespace id → value names in index order (names never change; values are only appended). */
  readonly #values = new Map<Hex, string[]>();

  constructor(clients: ChainClients) {
    this.#clients = clients;
  }

  async #valueNames(namespace: Hex, refresh: boolean): Promise<string[] | undefined> {
    const cached = this.#values.get(namespace);
    if (cached !== undefined && !refresh) return cached;
    const { publicClient, deployment } = this.#clients;
    const address = deployment.addresses.attributeRegistry;
    let names: string[] | undefined;
    try {
      const logs = await publicClient.getLogs({
        address,
        events: attributeRegistryAbi.filter((item) => item.type === "event" && (item.name === "NamespaceCreated" || item.name === "NamespaceValueAdded")),
        args: { namespace } as never,
        fromBlock: deployment.startBlock,
        toBlock: "latest",
      } as never);
      for (const log of parseEventLogs({ abi: attributeRegistryAbi, logs: logs as never })) {
        if (log.eventName === "NamespaceCreated" && log.args.namespace === namespace) names = [...log.args.values];
        else if (log.eventName === "NamespaceValueAdded" && log.args.namespace === namespace && names !== undefined) names[log.args.value] = log.args.name;
      }
    } catch (error) {
      throw clientError("CLIENT_CHAIN", "cannot read the attribute namespace", error);
    }
    if (names !== undefined) this.#values.set(namespace, names);
    return names;
  }

  /** "clearance/secret" → { namespace: keccak256("clearance"), value: index of "secret" }. */
  async resolve(text: string): Promise<ResolvedAttribute> {
    const { namespace: name, value } = splitAttribute(text);
    const namespace = namespaceId(name);
    for (const refresh of [false, true]) {
      const names = await this.#valueNames(namespace, refresh);
      const index = names?.indexOf(value) ?? -1;
      if (index >= 0) return { text, namespace, value: index };
    }
    throw new DekmeshClientError("CLIENT_UNKNOWN_ATTRIBUTE", "no such attribute namespace/value on chain", { details: { attribute: text.slice(0, 140) } });
  }

  /** Creates a namespace (first come); the caller becomes its authority. Returns its id. */
  async createNamespace(name: string, rule: AttributeRule, values: string[]): Promise<{ namespace: Hex; result: WriteResult }> {
    if (!(rule in RULES)) throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", "rule must be allOf, anyOf or hierarchy");
    const result = await this.#send("createNamespace", [name, RULES[rule], values]);
    return { namespace: namespaceId(name), result };
  }

  /** Grants "namespace/value" to `account` until `expiresAt` (unix seconds; 0 = forever). */
  async grant(attribute: string, account: Address, expiresAt: bigint | number = 0n): Promise<WriteResult> {
    const { namespace, value } = await this.resolve(attribute);
    return this.#send("grant", [namespace, account, value, BigInt(expiresAt)]);
  }

  async revokeGrant(attribute: string, account: Address): Promise<WriteResult> {
    const { namespace, value } = await this.resolve(attribute);
    return this.#send("revokeGrant", [namespace, account, value]);
  }

  async #send(functionName: string, args: readonly unknown[]): Promise<WriteResult> {
    try {
      return await sendContractWrite(this.#clients, { address: this.#clients.deployment.addresses.attributeRegistry, abi: attributeRegistryAbi, functionName, args });
    } catch (error) {
      throw clientError("CLIENT_CHAIN", `AttributeRegistry.${functionName} failed`, error);
    }
  }
}
