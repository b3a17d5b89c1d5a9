// solidity-coverage settings for `npm run coverage` (= hardhat coverage). The compiler settings
// and the tests left out under coverage are in hardhat.config.ts (the `coverage` task override).
module.exports = {
  // Test-only contracts (harnesses and the EIP-7702 test delegate) and files without executable
  // code (interfaces, shared types) are compiled as they are, not instrumented or reported.
  skipFiles: ["test/", "interfaces/", "types/"],
};
