/**
 * Errors that say what to do: the error that ended a command, rewritten for the person at the
 * terminal with the value at fault and the next step (which service at which URL, whose
 * balance and how to fund it, which values a namespace has). The original code, exit code and
 * details stay (the Solidity error name too, shown with --json and --verbose); only the
 * message changes.
 */
import { DekmeshError } from "../protocol/errors.js";
import { CliError, exitCodeOf } from "./exitCodes.js";
import { formatTime } from "./output.js";
import type { Settings } from "./settings.js";

/** Dev chains, where `dekmesh devnet fund` exists (Hardhat's and Anvil's ids). */
const DEV_CHAIN_IDS = new Set([31337, 1337]);

/**
 * Edit distance of two short strings (typos in commands, flags, attribute values), counting a
 * swap of two neighbours as one edit ("shwo" is one from "show"): optimal string alignment.
 */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** " (did you mean X?)" when one candidate is a plausible typo of `input`, else "". */
export function didYouMean(input: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? ` (did you mean ${best}?)` : "";
}

/** Sentences for the contracts' custom errors people meet; `args` as decoded. */
const REVERTS: Record<string, (args: readonly unknown[]) => string> = {
  ValidatorRegistryStillUnbonding: ([node, endsAt]) => `validator ${node} is still unbonding until ${formatTime(BigInt(String(endsAt)))}: withdraw after that`,
  ValidatorRegistryHandoffPending: ([node, replicas]) => `validator ${node} still has ${replicas} stake-assigned replicas being repaired to other validators: withdraw once they are`,
  ValidatorRegistryInvalidStatus: ([node]) => `validator ${node} is not in a state that allows this (dekmesh validator status ${node} shows it)`,
  ValidatorRegistryNotOperator: ([node, account]) => `${account} is not the operator of validator ${node}: use the operator's mnemonic`,
  ValidatorRegistryUnknownValidator: ([node]) => `validator ${node} is not registered (dekmesh validator register)`,
  ValidatorRegistryAlreadyRegistered: ([node]) => `validator ${node} is already registered`,
  ERC20InsufficientBalance: ([account, balance, needed]) => `${account} holds ${balance} base units of the stake token but ${needed} are needed`,
  ERC20InsufficientAllowance: ([spender, allowance, needed]) => `the stake token allowance of ${spender} is ${allowance} base units, ${needed} are needed`,
};

function revertSentence(errorName: string, args: readonly unknown[]): string {
  const known = REVERTS[errorName];
  if (known !== undefined) return known(args);
  if (/NotAuthority$/.test(errorName)) return "only the namespace's authority (its creator) may do this: use its key";
  if (/NotPublisher$|NotOwner$/.test(errorName)) return "only the policy's publisher may do this: use its key";
  if (/Revoked$/.test(errorName)) return "the policy is revoked; nothing more can change under it";
  // ValidatorRegistryInvalidPeerId → "the validator registry refused it: invalid peer id".
  const words = errorName.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split(" ");
  const contract = words.findIndex((w) => w === "registry" || w === "log" || w === "token");
  const [who, what] = contract >= 0 ? [words.slice(0, contract + 1).join(" "), words.slice(contract + 1).join(" ")] : ["the contract", words.join(" ")];
  return `the ${who.replace(/^the /, "")} refused the transaction: ${what || errorName}`;
}

/** The codes along the cause chain: dekmesh error codes, errno codes, and the names of viem's transport errors. */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof DekmeshError) codes.push(e.code);
    if (e.name === "HttpRequestError" || e.name === "TimeoutError") codes.push(e.name);
    const errno = (e as NodeJS.ErrnoException).code;
    if (typeof errno === "string") codes.push(errno);
  }
  return codes;
}

function rewritten(error: DekmeshError, message: string, extra: Record<string, unknown> = {}): CliError {
  return new CliError(exitCodeOf(error), error.code, message, { details: { ...error.details, ...extra }, cause: error });
}

const safely = <T>(read: () => T): T | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

/**
 * `error` with a message that names the value at fault and the next step, when it is one of the
 * kinds below; anything else unchanged.
 */
export async function explain(error: unknown, settings: Settings, account: () => Promise<string | undefined>): Promise<unknown> {
  if (!(error instanceof DekmeshError) || error instanceof CliError) return error;
  const codes = causeCodes(error);
  const has = (...wanted: string[]) => wanted.some((c) => codes.includes(c));
  const errorName = typeof error.details.errorName === "string" ? error.details.errorName : undefined;

  const devChain = DEV_CHAIN_IDS.has(safely(() => settings.chainId()) ?? 31337);
  if (errorName !== undefined) {
    const args = Array.isArray(error.details.args) ? error.details.args : [];
    const fund = errorName === "ERC20InsufficientBalance" ? `: ${devChain ? `on this dev chain, dekmesh devnet fund ${args[0]} --tokens 1000` : "get stake tokens to it"}` : "";
    return rewritten(error, `${revertSentence(errorName, args)}${fund}`);
  }
  if (has("CHAIN_INSUFFICIENT_FUNDS")) {
    const who = (await account()) ?? "the account";
    const fund = devChain ? `on this dev chain: dekmesh devnet fund ${who} --eth 10` : "send it some ETH for gas";
    return rewritten(error, `${who} has not enough ETH to pay for gas: ${fund}`, { account: who });
  }
  if (has("INDEXER_UNAVAILABLE", "CLIENT_INDEXER") && !has("STATE_STALE")) {
    const url = safely(() => settings.indexerUrl()) ?? "(not configured)";
    return rewritten(error, `cannot reach the indexer at ${url}: is it running (npm start), or is --indexer-url (DEKMESH_INDEXER_URL) wrong?`, { indexerUrl: url });
  }
  if (has("STATE_STALE")) {
    const url = safely(() => settings.indexerUrl()) ?? "the indexer";
    return rewritten(error, `the indexer at ${url} is behind the chain: wait a few seconds for it to catch up and try again`, { indexerUrl: url });
  }
  if (has("HttpRequestError", "TimeoutError", "CHAIN_TIMEOUT", "ECONNREFUSED")) {
    const url = safely(() => settings.rpcUrl()) ?? "(not configured)";
    return rewritten(error, `cannot reach the chain at ${url}: is it running (npm start), or is --rpc-url (DEKMESH_RPC_URL) wrong?`, { rpcUrl: url });
  }
  if (error.code === "CLIENT_UNKNOWN_ATTRIBUTE" && typeof error.details.attribute === "string") {
    return rewritten(error, await unknownAttribute(error.details.attribute, settings));
  }
  return error;
}

/** "clearance has no value secrt: its values are topsecret, secret, confidential (did you mean secret?)" */
async function unknownAttribute(attribute: string, settings: Settings): Promise<string> {
  const [name, value] = attribute.split("/") as [string, string | undefined];
  const { listNamespaces } = await import("./indexerQueries.js");
  const namespaces = await listNamespaces(settings.indexerUrl()).then((r) => r.namespaces, () => undefined);
  if (namespaces === undefined) return `no attribute ${attribute} on chain (dekmesh attr list shows the namespaces)`;
  const ns = namespaces.find((n) => n.name === name);
  if (ns === undefined) {
    const known = namespaces.map((n) => n.name);
    return `no attribute namespace ${name}${didYouMean(name, known)}: ${known.length === 0 ? "none exists yet (dekmesh attr create)" : `the namespaces are ${known.join(", ")}`}`;
  }
  return `namespace ${name} has no value ${value ?? ""}${didYouMean(value ?? "", ns.values)}: its values are ${ns.values.join(", ")}`;
}
