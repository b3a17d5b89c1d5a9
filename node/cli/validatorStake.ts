/**
 * `dekmesh validator stake|exit|withdraw|status`: a node's stake through its life (sent by the
 * operator account; status only reads). Amounts are typed and printed in tokens; --json keeps
 * base units as decimal strings.
 */
import type { ChainClients } from "../chain/index.js";
import { addressArg, tokenAmountArg } from "./args.js";
import { defineCommand, stringOf, type Command } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { openChain } from "./network.js";
import { fields, formatTime, formatRelative } from "./output.js";
import { IDENTITY_HELP, IDENTITY_OPTIONS, operatorContext, operatorSettings } from "./operator.js";

interface StakeToken {
  symbol: string;
  decimals: number;
  /** "1,000 STK" from base units. */
  format(units: bigint): string;
}

async function stakeToken(clients: ChainClients): Promise<StakeToken> {
  const { stakeTokenAbi } = await import("../chain/index.js");
  const { formatUnits } = await import("viem");
  const address = clients.deployment.addresses.stakeToken;
  const [symbol, decimals] = await Promise.all([
    clients.publicClient.readContract({ address, abi: stakeTokenAbi, functionName: "symbol" }),
    clients.publicClient.readContract({ address, abi: stakeTokenAbi, functionName: "decimals" }),
  ]);
  return { symbol, decimals: Number(decimals), format: (units) => `${formatUnits(units, Number(decimals))} ${symbol}` };
}

const stake = defineCommand({
  name: "validator stake",
  summary: "deposit stake for the node (from the operator account)",
  help: `usage: dekmesh validator stake --amount <tokens> [--config <file>] [--json]

The operator approves and deposits stake for the node; at the minimum stake it becomes active.
  --amount <tokens>      stake token amount (1000, 0.5) or base units (1000000wei)
${IDENTITY_HELP}`,
  options: { ...IDENTITY_OPTIONS, amount: { type: "string" } },
  async run(input) {
    const raw = stringOf(input.values.amount);
    if (raw === undefined) throw new UsageError("--amount is required, in tokens (--amount 1000)");
    const amount = tokenAmountArg(raw, "--amount");
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const operator = await ctx.operator();
    const token = await stakeToken(operator);
    const units = await amount.toUnits(token.decimals);
    const node = ctx.identity.address;
    const result = await chain.stake(operator, { node, amount: units });
    const after = await chain.getValidator(operator, { node });
    const value = { node, amount: units, stake: after.stake, status: after.status, transactionHash: result.hash };
    input.out.result(value, () =>
      fields([
        ["node", node],
        ["staked", token.format(units)],
        ["total stake", token.format(after.stake)],
        ["status", after.status],
        ["transaction", result.hash],
      ]),
    );
  },
});

const exit = defineCommand({
  name: "validator exit",
  summary: "take the node out of the active set (it unbonds)",
  help: `usage: dekmesh validator exit [--config <file>] [--json]

The operator requests the node's exit: it leaves the active set now and unbonds; its replicas
are repaired to other validators. Stop the daemon only after its pending audit batches are
on chain (it flushes them on a clean stop). 'dekmesh validator withdraw' returns the stake
once unbonding is over.
${IDENTITY_HELP}`,
  options: IDENTITY_OPTIONS,
  async run(input) {
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const node = ctx.identity.address;
    const operator = await ctx.operator();
    const result = await chain.requestExit(operator, { node });
    const after = await chain.getValidator(operator, { node });
    const value = { node, status: after.status, unbondingEndsAt: after.unbondingEndsAt, transactionHash: result.hash };
    input.out.result(value, () =>
      fields([
        ["node", node],
        ["status", after.status],
        ["unbonding ends", `${formatTime(after.unbondingEndsAt)} (${formatRelative(after.unbondingEndsAt)})`],
        ["transaction", result.hash],
      ]),
    );
  },
});

const withdraw = defineCommand({
  name: "validator withdraw",
  summary: "return an exited node's stake to the operator (after unbonding)",
  help: `usage: dekmesh validator withdraw [--config <file>] [--json]

Once the node's unbonding is over (validator status shows when) and its stake-assigned replicas
were repaired to other validators, the operator takes the stake back.
${IDENTITY_HELP}`,
  options: IDENTITY_OPTIONS,
  async run(input) {
    const ctx = await operatorContext(input);
    const chain = await import("../chain/index.js");
    const node = ctx.identity.address;
    const operator = await ctx.operator();
    const [before, token] = await Promise.all([chain.getValidator(operator, { node }), stakeToken(operator)]);
    const result = await chain.withdraw(operator, { node });
    const value = { node, withdrawn: before.stake, operator: ctx.identity.operatorAccount.address, transactionHash: result.hash };
    input.out.result(value, () =>
      fields([
        ["node", node],
        ["withdrawn", token.format(before.stake)],
        ["to operator", value.operator],
        ["transaction", result.hash],
      ]),
    );
  },
});

const status = defineCommand({
  name: "validator status",
  summary: "a node's status, stake and unbonding time, from the chain",
  help: `usage: dekmesh validator status [<node>] [--config <file>] [--json]

Shows <node> (an address), or the node of the operator mnemonic and node index: its operator,
status (none, active, exiting, exited), stake, when unbonding ends, and its current KAS key id.
${IDENTITY_HELP}`,
  options: IDENTITY_OPTIONS,
  positionals: { min: 0, max: 1, names: "[<node>]" },
  async run(input) {
    const given = input.positionals[0];
    const node = given !== undefined ? addressArg(given, "<node>") : undefined;
    const clients = node !== undefined ? await openChain(operatorSettings(input.values).settings) : await (await operatorContext(input)).node();
    const address = node ?? clients.account!.address;
    const chain = await import("../chain/index.js");
    const [v, token] = await Promise.all([chain.getValidator(clients, { node: address }), stakeToken(clients)]);
    const value = { node: address, ...v };
    const unbonding = v.unbondingEndsAt === 0n ? "-" : `${formatTime(v.unbondingEndsAt)} (${formatRelative(v.unbondingEndsAt)})`;
    input.out.result(value, () =>
      fields([
        ["node", address],
        ["status", v.revoked ? `${v.status} (node account revoked)` : v.status],
        ["operator", v.status === "none" ? "-" : v.operator],
        ["stake", token.format(v.stake)],
        ["unbonding ends", unbonding],
        ["KAS key id", v.status === "none" ? "-" : v.currentKid],
      ]),
    );
  },
});

export const validatorStakeCommands: Command[] = [stake, exit, withdraw, status];
