/**
 * The validator's HTTP API for clients that do not speak libp2p (docs/architecture.md#the-validator-node): rewrap, bulk
 * rewrap, sessions, has, content upload and download, info, health, readiness, metrics.
 * Routes, bodies and status codes: docs/http.md.
 */
export { createValidatorHttpServer, type ValidatorHttpServer } from "./server.js";
export type { Readiness, ReadinessCheck, ValidatorHttpComponents, ValidatorHttpOptions, ValidatorInfo } from "./options.js";
export { encodeHttpError, HTTP_ERRORS, HttpError, REWRAP_STATUS, type HttpErrorCode } from "./errors.js";
export * from "./constants.js";
