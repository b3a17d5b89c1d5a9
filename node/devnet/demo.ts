import { createPublicClient, createWalletClient, http, keccak256, toHex } from "viem";
import { hardhat } from "viem/chains";
import { attributeRegistryAbi } from "../chain/abis.js";
import { devAccount } from "./accounts.js";
import { DEMO_ACCOUNT_INDEX, type Devnet } from "./network.js";

/** The demo attribute: a hierarchy, highest rank first (AttributeRule.Hierarchy = 2); the demo account holds `clearance/secret`. */
export const DEMO_NAMESPACE = { name: "clearance", rule: 2, values: ["topsecret", "secret", "confidential"], granted: 1 } as const;

/** Account 0 (the deployer) creates the demo attribute as its authority and grants the demo account its value. */
export async function seedDemoAttribute(devnet: Devnet): Promise<void> {
  const authority = devAccount(0);
  const wallet = createWalletClient({ chain: hardhat, transport: http(devnet.stack.chain.url), account: authority });
  const reader = createPublicClient({ chain: hardhat, transport: http(devnet.stack.chain.url), pollingInterval: 50 });
  const address = devnet.stack.deployment.deployment.contracts.AttributeRegistry.address;
  const send = async (functionName: "createNamespace" | "grant", args: readonly unknown[]) => {
    const hash = await wallet.writeContract({ address, abi: attributeRegistryAbi, functionName, args } as never);
    await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  };
  await send("createNamespace", [DEMO_NAMESPACE.name, DEMO_NAMESPACE.rule, DEMO_NAMESPACE.values]);
  await send("grant", [keccak256(toHex(DEMO_NAMESPACE.name)), devAccount(DEMO_ACCOUNT_INDEX).address, DEMO_NAMESPACE.granted, 0n]);
}
