/**
 * The test-only contracts of contracts/test/ConditionTokens.sol (ERC-20/721/1155 anyone can mint
 * and burn, and a misbehaving view target), deployed and driven over JSON-RPC for tests of
 * policy conditions (docs/conditions.md). Sent one at a time from one account: its nonces must
 * not race.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createPublicClient, createWalletClient, getAddress, http, type Abi, type Account, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

export type ConditionContractName = "ConditionTestERC20" | "ConditionTestERC721" | "ConditionTestERC1155" | "ConditionTestTarget";

export interface ConditionContract {
  address: Address;
  abi: Abi;
}

/** Deploys one of the contracts from `account` (an unlocked address or a local account). */
export async function deployConditionContract(rpcUrl: string, account: Account | Address, name: ConditionContractName): Promise<ConditionContract> {
  const file = path.join(REPO_ROOT, "build/artifacts/contracts/test/ConditionTokens.sol", `${name}.json`);
  const artifact = JSON.parse(readFileSync(file, "utf8")) as { abi: Abi; bytecode: Hex };
  const wallet = createWalletClient({ chain: hardhat, transport: http(rpcUrl), account });
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode });
  const { contractAddress } = await createPublicClient({ chain: hardhat, transport: http(rpcUrl) }).waitForTransactionReceipt({ hash });
  return { address: getAddress(contractAddress!), abi: artifact.abi };
}

/** Sends `functionName(args)` to a deployed contract from `account`; returns the block it was mined in. */
export async function sendToConditionContract(
  rpcUrl: string,
  account: Account | Address,
  contract: ConditionContract,
  functionName: string,
  args: readonly unknown[],
): Promise<bigint> {
  const wallet = createWalletClient({ chain: hardhat, transport: http(rpcUrl), account });
  const hash = await wallet.writeContract({ address: contract.address, abi: contract.abi, functionName, args } as never);
  const receipt = await createPublicClient({ chain: hardhat, transport: http(rpcUrl) }).waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  return receipt.blockNumber;
}
