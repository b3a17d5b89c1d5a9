/**
 * The node's identity, derived from the operator mnemonic and the node index (docs/crypto.md):
 * the node chain account (signs holder confirmations, audit batches, repairs), the KAS key,
 * the libp2p identity and the storage key; plus the operator account, which owns the node on
 * chain (stake, network updates). Nothing here is ever logged.
 */
import { bytesToHex, type Address, type LocalAccount } from "viem";
import { localAccount } from "../chain/account.js";
import { OperatorRoot, type NodeKeys } from "../crypto/keys/index.js";

export interface NodeIdentity {
  readonly keys: NodeKeys;
  /** viem account of the node (the validator's address everywhere). */
  readonly nodeAccount: LocalAccount;
  /** viem account of the operator (stakes for the node, updates its network record). */
  readonly operatorAccount: LocalAccount;
  readonly address: Address;
  /** The libp2p peer id (of the secp256k1 key `keys.libp2pPrivateKey`). */
  readonly peerId: string;
}

export function deriveIdentity(mnemonic: string, nodeIndex: number): NodeIdentity {
  const root = OperatorRoot.fromMnemonic(mnemonic);
  const keys = root.nodeKeys(nodeIndex);
  const nodeAccount = localAccount(bytesToHex(keys.account.privateKey));
  const operatorAccount = localAccount(bytesToHex(root.operatorAccount().privateKey));
  return {
    keys,
    nodeAccount,
    operatorAccount,
    address: nodeAccount.address,
    peerId: keys.peerId,
  };
}
