// Policy-condition figures for `npm run bench:gas` (docs/conditions.md "Gas"): the gas of a
// transaction calling PolicyRegistry.canAccess for a reader who meets the policy's conditions —
// one ERC-20 leaf, and an `and` of five ERC-20 leaves over five tokens. The tokens are deployed
// by an account of their own (a fixed label, nonce 0), so their addresses, and with them the
// calldata and the figures, are the same on every run whatever the bench did before.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { PolicyRegistry } from "../../build/typechain";

export interface ConditionGas {
  canaccess_erc20: number;
  canaccess_compound5: number;
}

const ERC20_BALANCE = 3;
const AND = 0;
const GTE = 3;
const ZERO = "0x0000000000000000000000000000000000000000";

export async function measureConditionGas(hre: HardhatRuntimeEnvironment, policies: PolicyRegistry): Promise<ConditionGas> {
  const { ethers } = hre;
  const account = async (label: string) => {
    const address = ethers.getAddress(ethers.dataSlice(ethers.id(label), 12));
    await hre.network.provider.send("hardhat_setBalance", [address, "0x56BC75E2D63100000"]);
    await hre.network.provider.send("hardhat_impersonateAccount", [address]);
    return ethers.getSigner(address);
  };
  const deployer = await account("condition-gas-deployer");
  const publisher = await account("condition-gas-publisher");
  const reader = await account("condition-gas-reader");
  const tokens = [];
  for (let i = 0; i < 5; i++) {
    const token = await ethers.deployContract("ConditionTestERC20", [], deployer);
    await token.mint(reader.address, 1_000n);
    tokens.push(await token.getAddress());
  }
  const leaf = (token: string) => ({
    kind: ERC20_BALANCE, operands: 0, comparator: GTE, returnKind: 0, target: token, readerArgs: 0, id: 0n, value: 100n, data: "0x",
  });
  const input = { requirements: [], allowlist: [], notBefore: 0n, notAfter: 0n, mode: 0, k: 0, explicitMembers: [] };
  const create = async (conditions: ReturnType<typeof leaf>[]) => {
    const id = await policies.connect(publisher).createPolicyWithConditions.staticCall(input, conditions);
    await (await policies.connect(publisher).createPolicyWithConditions(input, conditions)).wait();
    return id;
  };
  const single = await create([leaf(tokens[0]!)]);
  const compound = await create([{ ...leaf(ZERO), kind: AND, operands: 5, comparator: 0, value: 0n }, ...tokens.map(leaf)]);
  /** canAccess sent as a transaction: its receipt's gas is what a caller pays for the decision. */
  const gasOfCanAccess = async (policyId: bigint) => {
    const [allowed] = await policies.canAccess(policyId, reader.address);
    if (!allowed) throw new Error(`the bench reader does not meet policy ${policyId}`);
    const data = policies.interface.encodeFunctionData("canAccess", [policyId, reader.address]);
    const receipt = await (await reader.sendTransaction({ to: await policies.getAddress(), data })).wait();
    return Number(receipt!.gasUsed);
  };
  return { canaccess_erc20: await gasOfCanAccess(single), canaccess_compound5: await gasOfCanAccess(compound) };
}
