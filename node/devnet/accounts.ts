import { mnemonicToAccount, type HDAccount } from "viem/accounts";

/** Hardhat's default mnemonic: the dev chain funds its first accounts (40 in hardhat.config.ts). */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
export const HARDHAT_ACCOUNT_COUNT = 40;

const cache = new Map<number, HDAccount>();

/** Funded dev account `index` (m/44'/60'/0'/0/index), derived once. Account 0 deploys the contracts. */
export function devAccount(index: number): HDAccount {
  if (!Number.isInteger(index) || index < 0 || index >= HARDHAT_ACCOUNT_COUNT) {
    throw new RangeError(`dev account index must be 0..${HARDHAT_ACCOUNT_COUNT - 1}, got ${index}`);
  }
  let account = cache.get(index);
  if (!account) {
    account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index });
    cache.set(index, account);
  }
  return account;
}
