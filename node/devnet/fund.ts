/**
 * Gas and stake tokens for any account on a dev chain (`dekmesh devnet fund`, the validator
 * recipe of docs/validator.md): ether through `hardhat_setBalance`, stake tokens minted by the
 * StakeToken's owner, impersonated, so it works whoever deployed the contracts.
 */
import { createPublicClient, createWalletClient, http, numberToHex, type Address } from "viem";
import { hardhat } from "viem/chains";
import { stakeTokenAbi } from "../chain/abis.js";
import { DevnetError } from "./errors.js";
import { rpcRequest } from "./rpc.js";

export interface FundAccountParameters {
  rpcUrl: string;
  /** The deployment's StakeToken. */
  stakeToken: Address;
  account: Address;
  /** Ether added to the account's balance, in wei. */
  wei: bigint;
  /** Stake tokens minted to the account, in the token's base unit (10^-18 token). */
  tokenUnits: bigint;
}

export interface FundAccountReturnType {
  /** The account's balances afterwards: wei, and stake-token base units. */
  balance: bigint;
  tokenBalance: bigint;
}

export async function fundAccount(parameters: FundAccountParameters): Promise<FundAccountReturnType> {
  const { rpcUrl, stakeToken, account } = parameters;
  const chainId = Number(await rpcRequest<string>(rpcUrl, "eth_chainId", []));
  if (chainId !== hardhat.id) {
    throw new DevnetError(
      "NOT_A_DEV_CHAIN",
      `the chain at ${rpcUrl} (chain id ${chainId}) is not a dev chain: only a devnet (chain id ${hardhat.id}) hands out gas and stake tokens; on another network, ask its operators`,
    );
  }
  const reader = createPublicClient({ chain: hardhat, transport: http(rpcUrl), pollingInterval: 50 });
  if (parameters.wei > 0n) {
    const balance = await reader.getBalance({ address: account });
    await rpcRequest(rpcUrl, "hardhat_setBalance", [account, numberToHex(balance + parameters.wei)]);
  }
  if (parameters.tokenUnits > 0n) {
    const owner = await reader.readContract({ address: stakeToken, abi: stakeTokenAbi, functionName: "owner" });
    await rpcRequest(rpcUrl, "hardhat_impersonateAccount", [owner]);
    try {
      const wallet = createWalletClient({ chain: hardhat, transport: http(rpcUrl), account: owner });
      const hash = await wallet.writeContract({ address: stakeToken, abi: stakeTokenAbi, functionName: "mint", args: [account, parameters.tokenUnits] });
      await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    } finally {
      await rpcRequest(rpcUrl, "hardhat_stopImpersonatingAccount", [owner]);
    }
  }
  const [balance, tokenBalance] = await Promise.all([
    reader.getBalance({ address: account }),
    reader.readContract({ address: stakeToken, abi: stakeTokenAbi, functionName: "balanceOf", args: [account] }),
  ]);
  return { balance, tokenBalance };
}
