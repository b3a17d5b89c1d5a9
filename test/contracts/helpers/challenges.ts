import { execFileSync } from "node:child_process";
import { createECDH, createPrivateKey, randomBytes, sign } from "node:crypto";
import path from "node:path";
import { ethers } from "hardhat";
import { mine } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Adjudicator } from "../../../build/typechain";
import { createPolicy, deployFixture, kidOf, Mode, provenPeerId, registerContent, TOKEN, type System } from "./fixtures";
import { registerThreshold, thresholdK, type Slot, type ThresholdSystem } from "./threshold";

/**
 * A validator's KAS key (P-256) with its private half, so tests can sign answers the way the
 * node does (node/crypto/keys/p256.ts: ECDSA-P256-SHA256, r‖s, by OpenSSL, high s not folded).
 */
export class KasKey {
  readonly #ecdh = createECDH("prime256v1");
  constructor() {
    this.#ecdh.generateKeys();
  }
  get compressed(): string {
    return ethers.hexlify(this.#ecdh.getPublicKey(undefined, "compressed"));
  }
  get x(): string {
    return ethers.dataSlice(this.#ecdh.getPublicKey(), 1, 33);
  }
  get y(): string {
    return ethers.dataSlice(this.#ecdh.getPublicKey(), 33, 65);
  }
  get kid(): string {
    return kidOf(this.compressed);
  }
  get privateKey(): string {
    return ethers.hexlify(this.#ecdh.getPrivateKey());
  }
  sign(message: string): string {
    const b64 = (hex: string) => Buffer.from(ethers.getBytes(hex)).toString("base64url");
    const key = createPrivateKey({
      key: { kty: "EC", crv: "P-256", d: b64(ethers.hexlify(this.#ecdh.getPrivateKey())), x: b64(this.x), y: b64(this.y) },
      format: "jwk",
    });
    return ethers.hexlify(sign("sha256", ethers.getBytes(message), { key, dsaEncoding: "ieee-p1363" }));
  }
}

/** A fresh compressed P-256 point (a reader's one-time key, an envelope's ephemeral key). */
export function p256Point(): string {
  return new KasKey().compressed;
}

/** A 33-byte string with a valid prefix whose x is not on P-256 (x³ − 3x + b is no square mod p for x = 1). */
export const OFF_CURVE_KEY = ethers.concat(["0x02", ethers.toBeHex(1, 32)]);

export const BOND = 10n * TOKEN;

/** The registry's and the adjudicator's tokens, and everyone's the challenges pay. */
export async function tokenTotal(sys: Pick<System, "token">, accounts: string[]): Promise<bigint> {
  let total = 0n;
  for (const a of accounts) total += await sys.token.balanceOf(a);
  return total;
}

/** Registers and stakes `node` with a KAS key the test holds. */
export async function addKasValidator(sys: System, node: HardhatEthersSigner, key = new KasKey()) {
  const { peerId, proof } = await provenPeerId(sys, node.address);
  await sys.validators
    .connect(node)
    .register(sys.operator.address, key.compressed, peerId, proof, ["/ip4/127.0.0.1/tcp/4001"], "http://127.0.0.1:8080");
  await sys.validators.connect(sys.operator).stake(node.address, 2_000n * TOKEN);
  return key;
}

/**
 * Five validators with known KAS keys; an `all` content, a `stake(2)` content, a
 * `threshold(2, 3)` content, an `xor` content and an allowlisted content the reader cannot open;
 * the reader and a second challenger funded and approved for bonds.
 */
export async function challengeFixture() {
  const sys = await deployFixture();
  const adjudicator = (await ethers.getContractAt("Adjudicator", sys.deployment.contracts.Adjudicator.address)) as unknown as Adjudicator;
  const nodes = sys.nodes.slice(0, 5);
  const keys = new Map<string, KasKey>();
  for (const node of nodes) keys.set(node.address, await addKasValidator(sys, node));
  const all = await registerContent(sys, sys.publisher, await createPolicy(sys, sys.publisher), nodes[0]!.address);
  const stakePolicy = await createPolicy(sys, sys.publisher, { mode: Mode.Stake, k: 2 });
  const stakeTx = await sys.content.connect(sys.publisher).register(
    ethers.concat(["0x01551220", ethers.hexlify(randomBytes(32))]),
    stakePolicy,
    nodes[0]!.address,
    ethers.hexlify(Uint8Array.from([0x4c, 0x31, 0x4c, ...randomBytes(120)])),
    ethers.hexlify(randomBytes(97)),
  );
  const assigned = (await stakeTx.wait())!.logs
    .map((log) => sys.content.interface.parseLog(log))
    .find((event) => event?.name === "ReplicaSetAssigned")!;
  const staked = { contentId: assigned.args.contentId as string, members: [...(assigned.args.members as string[])] };
  const xor = await registerContent(sys, sys.publisher, await createPolicy(sys, sys.publisher, { mode: Mode.Xor, k: 2 }), nodes[0]!.address);
  const closed = await registerContent(sys, sys.publisher, await createPolicy(sys, sys.publisher, { allowlist: [sys.publisher.address] }), nodes[0]!.address);
  const thresholdPolicy = await createPolicy(sys, sys.publisher, { mode: Mode.Threshold, k: thresholdK(2, 3) });
  await mine(2);
  const kids = new Map([...keys].map(([node, key]) => [node, key.kid]));
  const threshold = await registerThreshold({ ...sys, kids, policyId: thresholdPolicy, active: nodes } as ThresholdSystem, { m: 2, n: 3 });
  const challengers = [sys.reader, sys.stranger];
  for (const c of challengers) {
    await sys.token.mint(c.address, 1_000n * TOKEN);
    await sys.token.connect(c).approve(await adjudicator.getAddress(), ethers.MaxUint256);
  }
  const { chainId } = await ethers.provider.getNetwork();
  return { ...sys, adjudicatorAccount: sys.adjudicator, adjudicator, nodes, spare: sys.nodes.slice(5), keys, all, staked, xor, closed, threshold, chainId };
}
export type ChallengeSystem = Awaited<ReturnType<typeof challengeFixture>>;

export interface Request {
  contentId: string;
  clientPublicKey: string;
  nonce: bigint;
  expiry: bigint;
}

let nonces = 0n;
export async function request(contentId: string, o: Partial<Request> = {}): Promise<Request> {
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  return { contentId, clientPublicKey: p256Point(), nonce: ++nonces, expiry: now + 3600n, ...o };
}

export const NO_PROOF = { members: [], slots: [], slot: 0 };

export function stakeProof(members: string[], holder: string) {
  return { members, slots: [], slot: members.indexOf(holder) };
}

export function thresholdProof(slots: Slot[], holder: string) {
  return { members: [], slots, slot: slots.findIndex((s) => s.member === holder) };
}

/** The rewrap answer a holder posts: envelope (version, ephemeral key, 48 bytes) ‖ its KAS signature. */
export function rewrapAnswer(key: KasKey, digest: string, contentId: string, o: { ephemeral?: string; signWith?: KasKey } = {}) {
  const envelope = ethers.concat(["0x01", o.ephemeral ?? p256Point(), randomBytes(48)]);
  const message = ethers.concat([ethers.toUtf8Bytes("dekmesh/challenge/rewrap-answer/v1"), digest, contentId, envelope]);
  return ethers.concat([envelope, (o.signWith ?? key).sign(message)]);
}

/** A share answer laid out and signed as node/crypto/threshold/shareAnswer.ts does. */
export function shareAnswer(key: KasKey, digest: string, contentId: string, index: number, o: { ephemeral?: string } = {}) {
  const wrapped = ethers.concat(["0x01", ethers.toBeHex(index, 2), o.ephemeral ?? p256Point(), randomBytes(48)]);
  const context = ethers.concat([ethers.toUtf8Bytes("dekmesh/threshold/share-answer/v1"), digest, contentId, "0x01", ethers.toBeHex(index, 2)]);
  return ethers.concat([wrapped, key.sign(ethers.concat([context, wrapped]))]);
}

/** Opens a withheld-service challenge and returns its id and request digest. */
export async function openWithheld(
  sys: ChallengeSystem,
  challenger: HardhatEthersSigner,
  req: Request,
  holder: string,
  proof: { members: string[]; slots: Slot[]; slot: number } = NO_PROOF,
) {
  const id = await sys.adjudicator.connect(challenger).openWithheld.staticCall(req, holder, proof);
  await sys.adjudicator.connect(challenger).openWithheld(req, holder, proof);
  return { id, digest: await sys.adjudicator.requestDigest(req) };
}

/**
 * The answer the validator daemon itself builds (node/validator/challenges/answer.ts, through
 * test/node/helpers/challengeAnswers.ts in a child process on the repository's Node; it lives
 * there because `hardhat test` loads every file under test/contracts, and it is an ES module),
 * for `key`'s holder.
 */
export function daemonAnswer(key: KasKey, o: { kind: "rewrap" | "share"; contentId: string; requestDigest: string; clientPublicKey: string; shareIndex?: number }): string {
  const script = path.join(__dirname, "..", "..", "node", "helpers", "challengeAnswers.ts");
  const input = JSON.stringify({ ...o, kasPrivateKey: key.privateKey });
  return execFileSync(process.execPath, ["--import", "tsx", script], { input, encoding: "utf8" });
}
