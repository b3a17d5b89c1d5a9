/**
 * The dekmesh client SDK (docs/architecture.md#client-sdk-and-cli): upload once, decrypt anywhere. See docs/client.md.
 */
export { createClient, type CreateClientOptions, type DekmeshClient, type IpfsOption } from "./client.js";
export { DekmeshClientError, type DekmeshClientErrorCode } from "./errors.js";
export type { ProgressEvent, OnProgress } from "./context.js";
export type { UploadOptions, UploadResult } from "./upload.js";
export type { DecryptOptions } from "./decrypt.js";
export type { BadShareEvidence } from "./thresholdRead.js";
export type { PolicyTerms, ReplicationSpec } from "./policies.js";
export type { AttributeRule } from "./attributes.js";
export type { AuditPage, AuditQuery, AuditRecord } from "./audit.js";
export type { RewrapSignerOptions } from "./rewrapSigner.js";
export type { RedealResult, Registration } from "./recover.js";
export { createRecoverySeed, DEK_RECOVERY_TYPES, encodeRecoverySeed, type RecoverySeed } from "./recoverySeed.js";
