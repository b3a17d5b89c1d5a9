import { parseEventLogs, type Address, type Hex } from "viem";
import { contentRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { read } from "./readContract.js";

export interface GetContentRegistrationParameters {
  contentId: Hex;
}

/**
 * A content's ContentRegistered event: what its publisher registered, as the chain recorded it.
 * The contract keeps only the policy id and the replica-set commitment in storage; the header
 * and the recovery envelope live in this event, and it stays there when no holder does.
 */
export interface ContentRegistration {
  contentId: Hex;
  publisher: Address;
  policyId: bigint;
  initialValidator: Address;
  /** Binary CID. */
  cid: Hex;
  /** NanoTDF header bytes. */
  header: Hex;
  /** The DEK wrapped to the publisher's recovery key ("0x" = none). */
  recoveryEnvelope: Hex;
  blockNumber: bigint;
}

const contentRegistered = contentRegistryAbi.find((item) => item.type === "event" && item.name === "ContentRegistered");

/** The registration of `contentId` (one eth_getLogs over the deployment's blocks), or undefined if none. */
export async function getContentRegistration(
  clients: Pick<ChainClients, "publicClient" | "deployment">,
  { contentId }: GetContentRegistrationParameters,
): Promise<ContentRegistration | undefined> {
  const { publicClient, deployment } = clients;
  const logs = await read("getContentRegistration", () =>
    publicClient.getLogs({
      address: deployment.addresses.contentRegistry,
      event: contentRegistered as never,
      args: { contentId } as never,
      fromBlock: deployment.startBlock,
      toBlock: "latest",
    } as never),
  );
  const id = contentId.toLowerCase();
  const event = parseEventLogs({ abi: contentRegistryAbi, logs: logs as never, eventName: "ContentRegistered" }).find((log) => log.args.contentId.toLowerCase() === id);
  if (event === undefined) return undefined;
  const { args } = event;
  return {
    contentId: args.contentId,
    publisher: args.publisher,
    policyId: args.policyId,
    initialValidator: args.initialValidator,
    cid: args.cid,
    header: args.header,
    recoveryEnvelope: args.recoveryEnvelope,
    blockNumber: event.blockNumber,
  };
}
