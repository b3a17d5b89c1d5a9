/**
 * The validator daemon (docs/architecture.md): configuration, logging, start/stop of the composed node,
 * and the `dekmesh validator run` command. See docs/validator.md.
 */
export {
  DEFAULT_CONFIG,
  ENV_VARIABLES,
  loadValidatorConfig,
  readMnemonic,
  redactConfig,
  validateConfig,
  type LoadValidatorConfigInput,
  type PartialConfig,
  type ValidatorConfig,
} from "./config.js";
export { ValidatorError, type ValidatorErrorCode } from "./errors.js";
export { createJsonLogger, LOG_LEVELS, type JsonLoggerOptions, type LogLevel } from "./logger.js";
export { silentLogger, type Logger } from "../protocol/logger.js";
export { deriveIdentity, type NodeIdentity } from "./identity.js";
export { ensureRegistered, type EnsureRegisteredParameters, type RegistrationResult } from "./registration.js";
export { startValidator, type StartValidatorOptions, type Validator, type ValidatorStats } from "./validator.js";
export { VALIDATOR_VERSION } from "./http.js";
export { parseRunArguments, runValidatorCommand, VALIDATOR_USAGE, type RunValidatorOptions } from "./command.js";
