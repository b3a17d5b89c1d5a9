/**
 * The rewrap protocol shared by readers (node/sdk) and validators (node/validator/rewrap): the
 * messages, their JSON wire format, their EIP-712 typed data and the refusal codes. Specified
 * in docs/rewrap.md.
 */
export * from "./constants.js";
export * from "./eip712.js";
export * from "./errors.js";
export * from "./types.js";
export * from "./wire.js";
