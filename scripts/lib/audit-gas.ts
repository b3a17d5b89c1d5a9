// The audit log's evidence figures for `npm run bench:gas` (docs/accountability.md "Gas"):
// a verifiable batch of 100 records against a plain one (the same records, the same run), and
// one record checked on chain through verifyRecord, account-signed (ecrecover) and signed by a
// session key (P-256 through RIP-7212, which hardhat.config.ts turns on). Every key and nonce is
// derived from a fixed label, so the figures are the same on every run.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import type { RewrapAuditLog } from "../../build/typechain";
import {
  accountReader,
  contractEvidence,
  contractRecord,
  packRecords,
  resetNonces,
  sessionReader,
  singleRecord,
  tree,
  type Domain,
  type Entry,
} from "../../test/contracts/helpers/auditEvidence";

export interface AuditGas {
  audit_per_record_batch100: number;
  audit_per_record_batch100_verifiable: number;
  verify_record_secp256k1: number;
  verify_record_p256: number;
}

/** A CIDv1 (raw, sha2-256) as the bytes a batch commits to. */
const EVIDENCE_CID = "0x01551220" + "5a".repeat(32);
const SERVED_AT = 1_700_000_000;

export async function measureAuditGas(
  hre: HardhatRuntimeEnvironment,
  audit: RewrapAuditLog,
  plain: Signer,
  verifiable: Signer,
  contentIds: string[],
): Promise<AuditGas> {
  const { ethers } = hre;
  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => Number((await (await tx).wait())!.gasUsed);
  const domain: Domain = { chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: await audit.getAddress() };
  resetNonces();
  // Half the readers sign each request with their account, half through a session.
  const entries: Entry[] = Array.from({ length: 100 }, (_, i) => {
    const label = `reader-${i}`;
    const reader = i % 2 === 0 ? accountReader(label) : sessionReader(domain, SERVED_AT + 3_600, label);
    return singleRecord(domain, reader, contentIds[i % contentIds.length]!, SERVED_AT, true);
  });
  const packed = packRecords(entries.map((e) => e.record));
  const evidence = tree(entries);
  // Each validator's first batch pays for its batch-id slot: measure the second.
  await audit.connect(plain).recordRewraps(1, packed);
  const plainGas = await gasOf(audit.connect(plain).recordRewraps(2, packed));
  await audit.connect(verifiable).recordVerifiableRewraps(1, packed, evidence.root, EVIDENCE_CID);
  const verifiableGas = await gasOf(audit.connect(verifiable).recordVerifiableRewraps(2, packed, evidence.root, EVIDENCE_CID));
  const verifyGas = async (i: number) =>
    Number(
      await audit.verifyRecord.estimateGas(
        await verifiable.getAddress(),
        2,
        contractRecord(entries[i]!.record),
        contractEvidence(entries[i]!.evidence),
        evidence.getProof(i),
      ),
    );
  return {
    audit_per_record_batch100: Math.round(plainGas / 100),
    audit_per_record_batch100_verifiable: Math.round(verifiableGas / 100),
    verify_record_secp256k1: await verifyGas(0),
    verify_record_p256: await verifyGas(1),
  };
}
