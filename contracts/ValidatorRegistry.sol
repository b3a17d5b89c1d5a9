// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";
import {IReplicaAssignments} from "./interfaces/IReplicaAssignments.sol";
import {Libp2pPeerId} from "./libraries/Libp2pPeerId.sol";
import {StakeTree} from "./libraries/StakeTree.sol";
import {ValidatorStatus} from "./types/DekmeshTypes.sol";

/// @title ValidatorRegistry
/// @notice Registration, staking, lifecycle, key management and stake-weighted selection of
/// dekmesh validators. Lifecycle: Registered → Active (stake ≥ minimum) → Exiting (unbonding)
/// → Exited; Jailed on slash (then unbonding → Exited). Only Active validators are in the
/// selection tree, so only they can be drawn.
/// @dev Peer-id proofs (issue #22: the registry used to take any peer id, so a staked validator
/// could register a victim's id and attract its traffic). The chain itself refuses an id whose
/// key the caller cannot sign with, which takes a key the EVM can check: validators' libp2p
/// identities are secp256k1 keys (peer ids "16Uiu2…"; Noise, identify and the DHT take them as
/// they take Ed25519), the key is read out of the 39-byte id (Libp2pPeerId, one modexp to
/// decompress it), and the proof is an EIP-712 signature recovered with `ecrecover`.
/// Measured on the Hardhat chain: register 102,191 → 159,576 gas (44,200 of it the two new
/// slots of the uniqueness index, ~13k the proof's calldata and check); updateNetwork to a new
/// peer id 33,661 → 73,396, keeping the current one 33,661 → 36,598.
/// Rejected: verifying the nodes' former Ed25519 identities in Solidity (no precompile; a
/// pure-Solidity scalar multiplication alone is quoted at ~1.25M gas, and a verification needs
/// two plus SHA-512: well over 1M gas per registration, not measured here); and keeping Ed25519
/// with only uniqueness on chain while indexers and peers check signatures off chain (an
/// unproven record would still be stored, would block the id for its owner, and every reader
/// would have to remember to ignore it).
contract ValidatorRegistry is IValidatorRegistry, AccessControl, EIP712 {
    using SafeERC20 for IERC20;
    using StakeTree for StakeTree.Tree;

    /// @notice Role allowed to slash and jail validators (the challenge protocol's adjudicator).
    bytes32 public constant ADJUDICATOR_ROLE = keccak256("ADJUDICATOR_ROLE");

    uint8 private constant KAS_KEY_VALID = 1;
    uint8 private constant KAS_KEY_REVOKED = 2;
    /// @dev EIP-712 type of the peer-id proof; its digest is `peerIdProofDigest`. A constant
    /// expression, so the string never reaches the bytecode.
    // solhint-disable-next-line gas-small-strings
    bytes32 private constant PEER_ID_PROOF_TYPEHASH = keccak256("PeerIdProof(address node,bytes peerId)");
    uint256 private constant MAX_MULTIADDRS = 8;
    uint256 private constant MAX_ADDRESS_BYTES = 256;
    uint256 private constant BPS = 10_000;

    /// @notice The ERC-20 that validators stake.
    IERC20 public immutable stakeToken;
    /// @notice Minimum stake (token base units) for a validator to be active.
    uint256 public immutable minStake;
    /// @notice Token base units per selection weight unit (weights are 32-bit in the tree).
    uint256 public immutable stakeUnit;
    /// @notice Seconds a validator's stake stays locked after it leaves the active set.
    uint64 public immutable unbondingPeriod;
    /// @notice Where slashed stake goes.
    address public immutable slashRecipient;

    /// @notice Contract that reports outstanding replica assignments (the content registry).
    IReplicaAssignments public handoffGate;

    mapping(address node => Validator) private _validators;
    mapping(address node => mapping(bytes8 kid => uint8 status)) private _kasKeys;
    /// @dev Both directions of "node holds peer id": the holder for uniqueness, the node's id to
    /// free it when the node changes id or exits. Keyed by keccak256 of the binary peer id.
    mapping(bytes32 peerIdHash => address node) private _peerIdHolders;
    mapping(address node => bytes32 peerIdHash) private _peerIdHashes;
    StakeTree.Tree private _tree;

    /// @param stakeToken_ The staking ERC-20.
    /// @param minStake_ Minimum stake to become active (≥ `stakeUnit_`).
    /// @param stakeUnit_ Token base units per selection weight unit (> 0).
    /// @param unbondingPeriod_ Seconds of unbonding after exit or slash.
    /// @param slashRecipient_ Receiver of slashed stake.
    /// @param admin Holder of the admin role (may grant the adjudicator role).
    constructor(
        IERC20 stakeToken_,
        uint256 minStake_,
        uint256 stakeUnit_,
        uint64 unbondingPeriod_,
        address slashRecipient_,
        address admin
    ) EIP712("dekmesh", "1") {
        if (
            address(stakeToken_) == address(0) || stakeUnit_ == 0 || minStake_ < stakeUnit_
                || slashRecipient_ == address(0) || admin == address(0)
        ) revert ValidatorRegistryInvalidParameters();
        stakeToken = stakeToken_;
        minStake = minStake_;
        stakeUnit = stakeUnit_;
        unbondingPeriod = unbondingPeriod_;
        slashRecipient = slashRecipient_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Sets the handoff gate once (deployment wires the content registry here).
    function setHandoffGate(IReplicaAssignments gate) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(handoffGate) != address(0)) revert ValidatorRegistryHandoffGateAlreadySet();
        if (address(gate) == address(0)) revert ValidatorRegistryInvalidParameters();
        handoffGate = gate;
        emit HandoffGateSet(address(gate));
    }

    // ---------------------------------------------------------------- registration and keys

    /// @inheritdoc IValidatorRegistry
    function register(
        address operator,
        bytes calldata kasPublicKey,
        bytes calldata peerId,
        bytes calldata peerIdProof,
        string[] calldata multiaddrs,
        string calldata endpoint
    ) external {
        address node = msg.sender;
        if (_validators[node].status != ValidatorStatus.None) revert ValidatorRegistryAlreadyRegistered(node);
        if (operator == address(0)) revert ValidatorRegistryInvalidParameters();
        _checkNetwork(multiaddrs, endpoint);
        bytes8 kid = _kidOf(kasPublicKey);
        _claimPeerId(node, peerId, peerIdProof);
        _validators[node] = Validator({
            operator: operator,
            status: ValidatorStatus.Registered,
            revoked: false,
            unbondingEndsAt: 0,
            stake: 0,
            currentKid: kid
        });
        _kasKeys[node][kid] = KAS_KEY_VALID;
        emit ValidatorRegistered(node, operator, kasPublicKey, kid, peerId, multiaddrs, endpoint);
    }

    /// @inheritdoc IValidatorRegistry
    function updateNetwork(
        address node,
        bytes calldata peerId,
        bytes calldata peerIdProof,
        string[] calldata multiaddrs,
        string calldata endpoint
    ) external {
        _requireLiveNode(node);
        _checkNetwork(multiaddrs, endpoint);
        _claimPeerId(node, peerId, peerIdProof);
        emit ValidatorNetworkUpdated(node, peerId, multiaddrs, endpoint);
    }

    /// @inheritdoc IValidatorRegistry
    function rotateKasKey(address node, bytes calldata kasPublicKey) external returns (bytes8 kid) {
        Validator storage v = _requireLiveNode(node);
        kid = _kidOf(kasPublicKey);
        // A key id is never reused, not even one that was revoked: peers cache keys by id.
        if (_kasKeys[node][kid] != 0) revert ValidatorRegistryKasKeyExists(node, kid);
        bytes8 previousKid = v.currentKid;
        _kasKeys[node][kid] = KAS_KEY_VALID;
        v.currentKid = kid;
        emit KasKeyRotated(node, kid, kasPublicKey, previousKid);
    }

    /// @inheritdoc IValidatorRegistry
    function revokeKasKey(address node, bytes8 kid) external {
        Validator storage v = _requireOperator(node);
        if (_kasKeys[node][kid] != KAS_KEY_VALID) revert ValidatorRegistryUnknownKasKey(node, kid);
        // Revoking the current key would leave the node without a key to receive DEKs on.
        if (v.currentKid == kid) revert ValidatorRegistryCurrentKasKey(node, kid);
        _kasKeys[node][kid] = KAS_KEY_REVOKED;
        emit KasKeyRevoked(node, kid);
    }

    /// @inheritdoc IValidatorRegistry
    function revokeNode(address node) external {
        Validator storage v = _requireLiveNode(node);
        v.revoked = true;
        uint64 endsAt = v.unbondingEndsAt;
        if (v.status == ValidatorStatus.Active) {
            endsAt = _leaveActiveSet(node, v, ValidatorStatus.Exiting);
        } else if (v.status == ValidatorStatus.Registered) {
            _refund(node, v);
        }
        emit NodeRevoked(node, endsAt);
    }

    // ---------------------------------------------------------------- staking and lifecycle

    /// @inheritdoc IValidatorRegistry
    function stake(address node, uint256 amount) external {
        Validator storage v = _requireLiveNode(node);
        if (amount == 0) revert ValidatorRegistryZeroAmount();
        ValidatorStatus status = v.status;
        if (status != ValidatorStatus.Registered && status != ValidatorStatus.Active) {
            revert ValidatorRegistryInvalidStatus(node, status);
        }
        uint256 newStake = uint256(v.stake) + amount;
        if (newStake > type(uint128).max) revert ValidatorRegistryStakeTooLarge(newStake);
        v.stake = uint128(newStake);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
        emit StakeDeposited(node, msg.sender, amount, newStake);

        uint256 weight = newStake / stakeUnit;
        if (status == ValidatorStatus.Active) {
            _tree.set(node, weight);
            emit ValidatorWeightChanged(node, newStake, weight);
        } else if (newStake >= minStake) {
            v.status = ValidatorStatus.Active;
            _tree.set(node, weight);
            emit ValidatorActivated(node, newStake, weight);
        }
    }

    /// @inheritdoc IValidatorRegistry
    function requestExit(address node) external {
        Validator storage v = _requireOperator(node);
        ValidatorStatus status = v.status;
        if (status == ValidatorStatus.Active) {
            emit ValidatorExitRequested(node, _leaveActiveSet(node, v, ValidatorStatus.Exiting));
        } else if (status == ValidatorStatus.Registered) {
            // Never active: nothing was at risk, so nothing to unbond.
            emit ValidatorExitRequested(node, uint64(block.timestamp));
            _refund(node, v);
        } else {
            revert ValidatorRegistryInvalidStatus(node, status);
        }
    }

    /// @inheritdoc IValidatorRegistry
    function withdraw(address node) external {
        Validator storage v = _requireOperator(node);
        ValidatorStatus status = v.status;
        if (status != ValidatorStatus.Exiting && status != ValidatorStatus.Jailed) {
            revert ValidatorRegistryInvalidStatus(node, status);
        }
        if (block.timestamp < v.unbondingEndsAt) revert ValidatorRegistryStillUnbonding(node, v.unbondingEndsAt);
        if (address(handoffGate) != address(0)) {
            uint256 assigned = handoffGate.assignedReplicas(node);
            if (assigned != 0) revert ValidatorRegistryHandoffPending(node, assigned);
        }
        _refund(node, v);
    }

    /// @inheritdoc IValidatorRegistry
    function slash(address node, uint256 amount, bytes32 reason) external onlyRole(ADJUDICATOR_ROLE) {
        uint256 slashed = _slash(node, amount, reason);
        if (slashed != 0) stakeToken.safeTransfer(slashRecipient, slashed);
    }

    /// @inheritdoc IValidatorRegistry
    function slashWithReward(address node, uint256 amount, bytes32 reason, address beneficiary, uint16 rewardBps)
        external
        onlyRole(ADJUDICATOR_ROLE)
        returns (uint256 slashed, uint256 reward)
    {
        if (beneficiary == address(0) || rewardBps > BPS) revert ValidatorRegistryInvalidParameters();
        slashed = _slash(node, amount, reason);
        reward = slashed * rewardBps / BPS;
        if (reward != 0) stakeToken.safeTransfer(beneficiary, reward);
        if (slashed != reward) stakeToken.safeTransfer(slashRecipient, slashed - reward);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IValidatorRegistry
    function isActive(address node) external view returns (bool) {
        return _validators[node].status == ValidatorStatus.Active;
    }

    /// @inheritdoc IValidatorRegistry
    function validator(address node) external view returns (Validator memory) {
        return _validators[node];
    }

    /// @inheritdoc IValidatorRegistry
    function leftActiveSetAt(address node) external view returns (uint64) {
        Validator storage v = _validators[node];
        if (v.status != ValidatorStatus.Exiting || v.revoked) return 0;
        // Exiting is entered only from Active, with unbondingEndsAt = exit time + unbondingPeriod.
        return v.unbondingEndsAt - unbondingPeriod;
    }

    /// @inheritdoc IValidatorRegistry
    function kasKeyStatus(address node, bytes8 kid) external view returns (uint8) {
        return _kasKeys[node][kid];
    }

    /// @inheritdoc IValidatorRegistry
    function peerIdHolder(bytes32 peerIdHash) external view returns (address) {
        return _peerIdHolders[peerIdHash];
    }

    /// @inheritdoc IValidatorRegistry
    function peerIdProofDigest(address node, bytes calldata peerId) external view returns (bytes32) {
        return _peerIdProofDigest(node, keccak256(peerId));
    }

    /// @inheritdoc IValidatorRegistry
    function weightOf(address node) external view returns (uint256) {
        return _tree.weightOf(node);
    }

    /// @inheritdoc IValidatorRegistry
    function activeSet() external view returns (uint256 totalWeight, uint256 count) {
        return (_tree.total(), _tree.count());
    }

    /// @inheritdoc IValidatorRegistry
    function draw(uint256 seed) external view returns (address) {
        return _tree.draw(seed);
    }

    /// @inheritdoc IValidatorRegistry
    function sample(uint256 seed, uint256 k, address[] calldata exclude) external view returns (address[] memory) {
        return _tree.sample(seed, k, exclude);
    }

    // ---------------------------------------------------------------- internals

    /// @dev The single path by which stake is taken: up to `amount` leaves the node's stake (the
    /// caller moves the tokens) and the node is jailed, or stays jailed with its unbonding restarted.
    function _slash(address node, uint256 amount, bytes32 reason) private returns (uint256 slashed) {
        Validator storage v = _validators[node];
        ValidatorStatus status = v.status;
        if (status != ValidatorStatus.Active && status != ValidatorStatus.Exiting && status != ValidatorStatus.Jailed) {
            revert ValidatorRegistryInvalidStatus(node, status);
        }
        if (amount == 0) revert ValidatorRegistryZeroAmount();
        slashed = amount < v.stake ? amount : v.stake;
        // slashed <= v.stake, so the subtraction cannot underflow.
        unchecked {
            v.stake -= uint128(slashed);
        }
        uint64 endsAt;
        if (status == ValidatorStatus.Active) {
            endsAt = _leaveActiveSet(node, v, ValidatorStatus.Jailed);
        } else {
            // Slashing during unbonding restarts the clock: misbehaviour found late still costs time.
            endsAt = uint64(block.timestamp) + unbondingPeriod;
            v.status = ValidatorStatus.Jailed;
            v.unbondingEndsAt = endsAt;
        }
        emit ValidatorSlashed(node, slashed, reason, endsAt);
    }

    function _requireOperator(address node) private view returns (Validator storage v) {
        v = _validators[node];
        if (v.status == ValidatorStatus.None) revert ValidatorRegistryUnknownValidator(node);
        if (v.operator != msg.sender) revert ValidatorRegistryNotOperator(node, msg.sender);
    }

    /// @dev An operator-managed node that is not revoked and has not finished exiting.
    function _requireLiveNode(address node) private view returns (Validator storage v) {
        v = _requireOperator(node);
        if (v.revoked) revert ValidatorRegistryNodeRevoked(node);
        if (v.status == ValidatorStatus.Exited) revert ValidatorRegistryInvalidStatus(node, ValidatorStatus.Exited);
    }

    /// @dev The single path out of the active set: removed from the tree, then unbonding.
    function _leaveActiveSet(address node, Validator storage v, ValidatorStatus next)
        private
        returns (uint64 unbondingEndsAt)
    {
        _tree.set(node, 0);
        unbondingEndsAt = uint64(block.timestamp) + unbondingPeriod;
        v.status = next;
        v.unbondingEndsAt = unbondingEndsAt;
    }

    /// @dev The single path for stake leaving the contract to its operator.
    function _refund(address node, Validator storage v) private {
        uint256 amount = v.stake;
        v.stake = 0;
        v.status = ValidatorStatus.Exited;
        _releasePeerId(node);
        if (amount != 0) stakeToken.safeTransfer(v.operator, amount);
        emit StakeWithdrawn(node, v.operator, amount);
    }

    /// @dev The single path by which a node comes to hold a peer id. The id's key must have signed
    /// the proof for this node, chain and registry, and no other node may hold it; the node's
    /// previous id (if any) is freed. Its current id needs no new proof: it was proven when claimed.
    function _claimPeerId(address node, bytes calldata peerId, bytes calldata proof) private {
        bytes32 peerIdHash = keccak256(peerId);
        bytes32 previous = _peerIdHashes[node];
        if (previous == peerIdHash) return;
        address key = Libp2pPeerId.secp256k1Address(peerId);
        if (key == address(0)) revert ValidatorRegistryInvalidPeerId();
        (address signer, ECDSA.RecoverError recoverError,) =
            ECDSA.tryRecoverCalldata(_peerIdProofDigest(node, peerIdHash), proof);
        if (recoverError != ECDSA.RecoverError.NoError || signer != key) {
            revert ValidatorRegistryInvalidPeerIdProof(node, peerIdHash);
        }
        address holder = _peerIdHolders[peerIdHash];
        if (holder != address(0)) revert ValidatorRegistryPeerIdTaken(peerIdHash, holder);
        if (previous != bytes32(0)) delete _peerIdHolders[previous];
        _peerIdHolders[peerIdHash] = node;
        _peerIdHashes[node] = peerIdHash;
    }

    /// @dev Frees the node's peer id once it has exited (called from `_refund`, the way to Exited).
    function _releasePeerId(address node) private {
        delete _peerIdHolders[_peerIdHashes[node]];
        delete _peerIdHashes[node];
    }

    function _peerIdProofDigest(address node, bytes32 peerIdHash) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PEER_ID_PROOF_TYPEHASH, node, peerIdHash)));
    }

    function _checkNetwork(string[] calldata multiaddrs, string calldata endpoint) private pure {
        if (multiaddrs.length > MAX_MULTIADDRS) revert ValidatorRegistryInvalidNetwork();
        for (uint256 i; i < multiaddrs.length; ++i) {
            uint256 len = bytes(multiaddrs[i]).length;
            if (len == 0 || len > MAX_ADDRESS_BYTES) revert ValidatorRegistryInvalidNetwork();
        }
        uint256 endpointLength = bytes(endpoint).length;
        if (endpointLength == 0 || endpointLength > MAX_ADDRESS_BYTES) revert ValidatorRegistryInvalidNetwork();
    }

    /// @dev KID = first 8 bytes of SHA-256(compressed P-256 key): short, stable, and computable
    /// off chain by anyone holding the key (node/crypto/keys uses the same definition).
    function _kidOf(bytes calldata kasPublicKey) private pure returns (bytes8) {
        if (kasPublicKey.length != 33 || (kasPublicKey[0] != 0x02 && kasPublicKey[0] != 0x03)) {
            revert ValidatorRegistryInvalidKasKey();
        }
        return bytes8(sha256(kasPublicKey));
    }
}
