// Runs the validator's own answer builders (node/validator/challenges/answer.ts) for a Hardhat
// test, which cannot load the ES-module node code itself: reads one JSON request on stdin,
// prints the answer bytes as 0x-hex. Used by Adjudicator.test.ts to check the contract accepts
// exactly what the daemon posts.
import { randomBytes } from "node:crypto";
import { P256PrivateKey } from "../../../node/crypto/keys/p256.js";
import { rewrapChallengeAnswer, shareChallengeAnswer } from "../../../node/validator/challenges/answer.js";

interface Input {
  kind: "rewrap" | "share";
  kasPrivateKey: string;
  contentId: string;
  requestDigest: string;
  clientPublicKey: string;
  shareIndex?: number;
}

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Input;
const kasKey = P256PrivateKey.fromBytes(bytes(input.kasPrivateKey));
const request = { contentId: bytes(input.contentId), requestDigest: bytes(input.requestDigest), clientPublicKey: bytes(input.clientPublicKey) };
// Any 32-byte value stands in for the secret: the contract never sees it in the clear.
const answer =
  input.kind === "share"
    ? shareChallengeAnswer(request, { index: input.shareIndex!, value: new Uint8Array(randomBytes(32)) }, kasKey)
    : rewrapChallengeAnswer(request, new Uint8Array(randomBytes(32)), kasKey);
process.stdout.write(`0x${Buffer.from(answer).toString("hex")}`);
