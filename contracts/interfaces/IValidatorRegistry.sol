// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ValidatorStatus} from "../types/DekmeshTypes.sol";

/// @title IValidatorRegistry
/// @notice The validator set: registration, staking, lifecycle, keys, and stake-weighted
/// selection (docs/architecture.md#identities-and-keys, #on-chain-state). A validator is identified by its node account, the address
/// that signs its holder confirmations and audit batches. Its operator owns the stake and
/// manages its keys.
///
/// A validator's libp2p peer id is proven and unique: registering or changing it takes a
/// signature by the libp2p key inside the id (see `peerIdProofDigest`), and no two validators
/// that have not exited hold the same id. So a validator cannot claim another's id to attract
/// or intercept its traffic, and a peer id names at most one live validator.
interface IValidatorRegistry {
    /// @notice What the registry stores about a validator (everything else is in events).
    struct Validator {
        address operator;
        ValidatorStatus status;
        bool revoked;
        uint64 unbondingEndsAt;
        uint128 stake;
        bytes8 currentKid;
    }

    // ---------------------------------------------------------------- events
    /// @notice A node account registered itself under `operator` with its first KAS key.
    event ValidatorRegistered(
        address indexed node,
        address indexed operator,
        bytes kasPublicKey,
        bytes8 kid,
        bytes peerId,
        string[] multiaddrs,
        string endpoint
    );
    /// @notice The operator changed the node's network identity or addresses. A changed peer id
    /// frees the previous one.
    event ValidatorNetworkUpdated(address indexed node, bytes peerId, string[] multiaddrs, string endpoint);
    /// @notice The operator added stake; `totalStake` is the validator's stake afterwards.
    event StakeDeposited(address indexed node, address indexed operator, uint256 amount, uint256 totalStake);
    /// @notice The validator entered the active set with `weight` selection units.
    event ValidatorActivated(address indexed node, uint256 stake, uint256 weight);
    /// @notice An active validator's selection weight changed (stake top-up).
    event ValidatorWeightChanged(address indexed node, uint256 stake, uint256 weight);
    /// @notice The validator left the active set and unbonds until `unbondingEndsAt`.
    event ValidatorExitRequested(address indexed node, uint64 unbondingEndsAt);
    /// @notice The validator's stake was returned to its operator; it is now exited, and its peer
    /// id is free for another validator.
    event StakeWithdrawn(address indexed node, address indexed operator, uint256 amount);
    /// @notice The adjudicator slashed `amount` and jailed the validator.
    event ValidatorSlashed(address indexed node, uint256 amount, bytes32 reason, uint64 unbondingEndsAt);
    /// @notice The operator replaced the node's KAS key; the old key stays resolvable by its id.
    event KasKeyRotated(address indexed node, bytes8 indexed kid, bytes kasPublicKey, bytes8 previousKid);
    /// @notice The operator revoked a KAS key; headers naming it must no longer be served.
    event KasKeyRevoked(address indexed node, bytes8 indexed kid);
    /// @notice The operator revoked the node account itself; it left the active set for good.
    event NodeRevoked(address indexed node, uint64 unbondingEndsAt);
    /// @notice The admin set the contract that says whether an exiting validator has handed off.
    event HandoffGateSet(address gate);

    // ---------------------------------------------------------------- errors
    error ValidatorRegistryAlreadyRegistered(address node);
    error ValidatorRegistryUnknownValidator(address node);
    error ValidatorRegistryNotOperator(address node, address account);
    error ValidatorRegistryInvalidStatus(address node, ValidatorStatus status);
    error ValidatorRegistryNodeRevoked(address node);
    error ValidatorRegistryInvalidKasKey();
    error ValidatorRegistryKasKeyExists(address node, bytes8 kid);
    error ValidatorRegistryUnknownKasKey(address node, bytes8 kid);
    error ValidatorRegistryCurrentKasKey(address node, bytes8 kid);
    error ValidatorRegistryInvalidNetwork();
    /// @notice The peer id is not a libp2p secp256k1 peer id (39-byte identity multihash of a
    /// compressed secp256k1 key on the curve).
    error ValidatorRegistryInvalidPeerId();
    /// @notice The proof is not a signature of `peerIdProofDigest(node, peerId)` by the key in the
    /// peer id (wrong key, made for another node, chain or registry, or malformed).
    error ValidatorRegistryInvalidPeerIdProof(address node, bytes32 peerIdHash);
    /// @notice Another validator that has not exited holds the peer id.
    error ValidatorRegistryPeerIdTaken(bytes32 peerIdHash, address holder);
    error ValidatorRegistryZeroAmount();
    error ValidatorRegistryStakeTooLarge(uint256 stake);
    error ValidatorRegistryStillUnbonding(address node, uint64 unbondingEndsAt);
    error ValidatorRegistryHandoffPending(address node, uint256 assignedReplicas);
    error ValidatorRegistryHandoffGateAlreadySet();
    error ValidatorRegistryInvalidParameters();

    // ---------------------------------------------------------------- registration and keys
    /// @notice Registers the caller (the node account) as a validator of `operator`.
    /// @dev The operator consents by staking; until then the validator is only `Registered`.
    /// @param operator The account that will stake and manage this node's keys.
    /// @param kasPublicKey The node's KAS key: a compressed P-256 point (33 bytes).
    /// @param peerId The node's libp2p peer id in binary (multihash) form; its key must be
    /// secp256k1 (39 bytes, see `ValidatorRegistryInvalidPeerId`) and no other live validator's.
    /// @param peerIdProof A 65-byte r ‖ s ‖ v signature of `peerIdProofDigest(node, peerId)` by the
    /// libp2p key (low s, as `ecrecover` and OpenZeppelin's ECDSA take it).
    /// @param multiaddrs The node's libp2p listen addresses (≤ 8, each ≤ 256 bytes).
    /// @param endpoint The node's HTTP rewrap endpoint URL (≤ 256 bytes).
    function register(
        address operator,
        bytes calldata kasPublicKey,
        bytes calldata peerId,
        bytes calldata peerIdProof,
        string[] calldata multiaddrs,
        string calldata endpoint
    ) external;

    /// @notice Replaces the node's libp2p identity, addresses and endpoint. Operator only.
    /// @dev `peerIdProof` is as in `register`, and is only checked when the peer id changes: the
    /// current one was proven when it was claimed.
    function updateNetwork(
        address node,
        bytes calldata peerId,
        bytes calldata peerIdProof,
        string[] calldata multiaddrs,
        string calldata endpoint
    ) external;

    /// @notice Rotates the node's KAS key to `kasPublicKey`. Operator only. The old key stays
    /// resolvable (headers encrypted to it remain serviceable) until revoked.
    function rotateKasKey(address node, bytes calldata kasPublicKey) external returns (bytes8 kid);

    /// @notice Revokes a non-current KAS key of the node. Operator only.
    function revokeKasKey(address node, bytes8 kid) external;

    /// @notice Revokes the node account: it leaves the active set for good and unbonds. Operator only.
    function revokeNode(address node) external;

    // ---------------------------------------------------------------- staking and lifecycle
    /// @notice Adds `amount` stake tokens (pulled from the operator) to `node`. A registered
    /// validator becomes active once its stake reaches the minimum. Operator only.
    function stake(address node, uint256 amount) external;

    /// @notice Leaves the active set. An active validator then unbonds; a validator that was
    /// never active gets its stake back at once. Operator only.
    function requestExit(address node) external;

    /// @notice Returns the stake to the operator once unbonding is over and every
    /// stake-assigned replica of the node has been re-drawn (handed off). Operator only.
    function withdraw(address node) external;

    /// @notice Slashes `amount` of the node's stake to the slash recipient and jails it.
    /// Adjudicator role only.
    function slash(address node, uint256 amount, bytes32 reason) external;

    /// @notice Slashes as `slash` does, but pays `rewardBps` / 10,000 of what was taken to
    /// `beneficiary` (a challenger that proved the fault) and the rest to the slash recipient.
    /// Adjudicator role only.
    /// @return slashed What was taken (at most the node's stake). @return reward What `beneficiary` got.
    function slashWithReward(address node, uint256 amount, bytes32 reason, address beneficiary, uint16 rewardBps)
        external
        returns (uint256 slashed, uint256 reward);

    // ---------------------------------------------------------------- views
    /// @notice Whether `node` is active: staked, not exiting, not jailed, not revoked.
    function isActive(address node) external view returns (bool);

    /// @notice The stored record of `node`.
    function validator(address node) external view returns (Validator memory);

    /// @notice When an Exiting, non-revoked node left the active set (Unix seconds); 0 for every
    /// other node. The audit log accepts such a node's records of rewraps served before then.
    function leftActiveSetAt(address node) external view returns (uint64);

    /// @notice The status of KAS key `kid` of `node`: 0 unknown, 1 valid, 2 revoked.
    function kasKeyStatus(address node, bytes8 kid) external view returns (uint8);

    /// @notice The validator holding the peer id whose keccak256 is `peerIdHash`, or the zero
    /// address if none does. A validator holds its peer id from registration (or the
    /// `updateNetwork` that set it) until it exits with its stake withdrawn; a revoked or jailed
    /// validator still holds it while it unbonds.
    function peerIdHolder(bytes32 peerIdHash) external view returns (address node);

    /// @notice The digest that the libp2p key of `peerId` signs to let `node` claim it: the
    /// EIP-712 hash of `PeerIdProof(address node,bytes peerId)` under the domain
    /// {name "dekmesh", version "1", this chain, this registry}, so a proof binds the peer id to
    /// one node account on one chain and one registry.
    function peerIdProofDigest(address node, bytes calldata peerId) external view returns (bytes32);

    /// @notice The selection weight of `node` (stake divided by the stake unit; 0 if not active).
    function weightOf(address node) external view returns (uint256);

    /// @notice Total selection weight and number of active validators.
    function activeSet() external view returns (uint256 totalWeight, uint256 count);

    /// @notice Draws one active validator with probability proportional to its weight.
    function draw(uint256 seed) external view returns (address);

    /// @notice Samples up to `k` distinct active validators, none in `exclude`, with
    /// probability proportional to weight (successive draws without replacement). Returns
    /// fewer than `k` when fewer are selectable.
    function sample(uint256 seed, uint256 k, address[] calldata exclude) external view returns (address[] memory);
}
