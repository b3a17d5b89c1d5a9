// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IAdjudicator} from "./interfaces/IAdjudicator.sol";
import {IContentRegistry} from "./interfaces/IContentRegistry.sol";
import {IPolicyRegistry} from "./interfaces/IPolicyRegistry.sol";
import {IRewrapAuditLog} from "./interfaces/IRewrapAuditLog.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";
import {KasSignatures} from "./libraries/KasSignatures.sol";
import {AccessReason, ReplicationMode, ValidatorStatus} from "./types/DekmeshTypes.sol";

/// @title Adjudicator
/// @notice Holds the validator registry's adjudicator role and slashes through it when a
/// challenge is upheld (docs/challenges.md has the trust model). Parameters are fixed at
/// deployment: the answer window in blocks, the fraction of stake slashed, the challenger's share
/// of it, and the bond a challenger posts in the stake token.
/// @dev Token flows, each conserving stake + bonds: a bond is pulled at open and paid out exactly
/// once, to the accused when it answers, back to the challenger when the challenge is upheld or
/// void; slashed stake leaves the registry split between the challenger and the slash recipient.
/// The answer window must be shorter than the registry's unbonding period (in block time), or an
/// accused could exit and withdraw before the window closes (such a challenge ends `Void`).
contract Adjudicator is IAdjudicator {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;
    uint8 private constant KAS_KEY_VALID = 1;
    uint256 private constant ENVELOPE_BYTES = 82;
    uint256 private constant REWRAP_ANSWER_BYTES = ENVELOPE_BYTES + KasSignatures.SIGNATURE_BYTES;
    /// @dev node/crypto/threshold/shareAnswer.ts: version, index, ephemeral key, wrapped share, signature.
    uint256 private constant SHARE_ANSWER_BYTES = 148;
    uint256 private constant SHARE_ANSWER_SIGNED_BYTES = 84;
    uint8 private constant ANSWER_VERSION = 1;
    // Constant expressions: the strings never reach the bytecode.
    bytes32 private constant REWRAP_REQUEST_TYPEHASH =
        // solhint-disable-next-line gas-small-strings
        keccak256("RewrapRequest(bytes32 contentId,bytes clientPublicKey,uint256 nonce,uint64 expiry)");
    bytes32 private constant DOMAIN_TYPEHASH =
        // solhint-disable-next-line gas-small-strings
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes private constant REWRAP_ANSWER_DOMAIN = "dekmesh/challenge/rewrap-answer/v1";
    bytes private constant SHARE_ANSWER_DOMAIN = "dekmesh/threshold/share-answer/v1";
    bytes32 private constant WITHHELD_REASON = "dekmesh/withheld-service";
    bytes32 private constant FABRICATED_REASON = "dekmesh/fabricated-record";
    bytes32 private constant BAD_ANSWER_REASON = "dekmesh/bad-answer";

    IValidatorRegistry public immutable validators;
    IContentRegistry public immutable contents;
    IPolicyRegistry public immutable policies;
    /// @notice The audit log: its address is the verifying contract of rewrap requests' EIP-712
    /// domain, and it pins and verifies the records fabricated-record challenges name.
    IRewrapAuditLog public immutable auditLog;
    IERC20 public immutable stakeToken;
    /// @notice Blocks the accused has to answer, counted from the block the challenge opened in.
    uint64 public immutable answerWindow;
    /// @notice Basis points of the accused's stake taken when a challenge is upheld.
    uint16 public immutable slashBps;
    /// @notice Basis points of the slashed stake paid to the challenger.
    uint16 public immutable challengerBps;
    /// @notice Stake tokens a challenger posts to open a challenge that waits for an answer.
    uint256 public immutable bond;
    bytes32 private immutable _requestDomainSeparator;

    uint256 public challengeCount;
    mapping(uint256 id => Challenge) private _challenges;
    mapping(bytes32 subject => uint256 id) private _challengeOf;
    mapping(bytes32 answerHash => bool) private _proven;

    /// @notice answerWindow (blocks, > 0), slashBps (1–10,000), challengerBps (≤ 10,000), bond (> 0).
    struct Parameters {
        uint64 answerWindow;
        uint16 slashBps;
        uint16 challengerBps;
        uint256 bond;
    }

    constructor(
        IValidatorRegistry validators_,
        IContentRegistry contents_,
        IPolicyRegistry policies_,
        IRewrapAuditLog auditLog_,
        IERC20 stakeToken_,
        Parameters memory params
    ) {
        if (
            address(validators_) == address(0) || address(contents_) == address(0) || address(policies_) == address(0)
                || address(auditLog_) == address(0) || address(stakeToken_) == address(0) || params.answerWindow == 0 || params.slashBps == 0
                || params.slashBps > BPS || params.challengerBps > BPS || params.bond == 0
        ) revert AdjudicatorInvalidParameters();
        validators = validators_;
        contents = contents_;
        policies = policies_;
        auditLog = auditLog_;
        stakeToken = stakeToken_;
        answerWindow = params.answerWindow;
        slashBps = params.slashBps;
        challengerBps = params.challengerBps;
        bond = params.bond;
        _requestDomainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("dekmesh"), keccak256("1"), block.chainid, address(auditLog_))
        );
    }

    // ---------------------------------------------------------------- withheld service

    /// @inheritdoc IAdjudicator
    function openWithheld(RewrapRequest calldata request, address holder, HolderProof calldata proof)
        external
        returns (uint256 id)
    {
        if (!KasSignatures.isCompressedPoint(request.clientPublicKey)) revert AdjudicatorMalformedRequest();
        if (request.expiry <= block.timestamp) revert AdjudicatorRequestExpired(request.expiry);
        bytes32 contentId = request.contentId;
        (bool allowed, AccessReason reason) = contents.canAccessContent(contentId, msg.sender);
        if (!allowed) revert AdjudicatorNoAccess(contentId, msg.sender, uint8(reason));
        if (!validators.isActive(holder)) revert AdjudicatorNotActiveValidator(holder);
        (ChallengeKind kind, uint16 shareIndex) = _holding(contentId, holder, proof);
        bytes32 digest = _requestDigest(request);
        (id,) = _open(kind, holder, digest, contentId);
        _challenges[id].shareIndex = shareIndex;
        _emitRequest(id, digest, request, shareIndex);
    }

    /// @inheritdoc IAdjudicator
    function answerWithheld(uint256 id, bytes calldata answer, bytes32 kasKeyX, bytes32 kasKeyY) external {
        Challenge storage c = _openChallenge(id);
        if (c.kind == ChallengeKind.WithheldRewrap) {
            _checkRewrapAnswer(c, answer, kasKeyX, kasKeyY);
        } else if (c.kind == ChallengeKind.WithheldShare) {
            if (answer.length != SHARE_ANSWER_BYTES || uint16(bytes2(answer[1:3])) != c.shareIndex) {
                revert AdjudicatorMalformedAnswer();
            }
            if (_shareAnswerFault(answer) != BadAnswerFault.None) revert AdjudicatorMalformedAnswer();
            _checkShareSignature(c.accused, c.subject, c.detail, answer, kasKeyX, kasKeyY);
        } else {
            revert AdjudicatorWrongKind(id, c.kind);
        }
        _answered(id, c, answer);
    }

    // ---------------------------------------------------------------- fabricated record

    /// @inheritdoc IAdjudicator
    function openFabricated(address validator, uint64 batchId, bytes calldata records, uint256 index)
        external
        returns (uint256 id)
    {
        ValidatorStatus status = validators.validator(validator).status;
        if (status != ValidatorStatus.Active && status != ValidatorStatus.Exiting && status != ValidatorStatus.Jailed) {
            revert AdjudicatorNotActiveValidator(validator);
        }
        // Reverts unless `records` is the batch as committed and `index` is one of them.
        IRewrapAuditLog.RewrapRecord memory record = auditLog.recordAt(validator, batchId, records, index);
        (id,) = _open(ChallengeKind.FabricatedRecord, validator, keccak256(abi.encode(record)), bytes32(uint256(batchId)));
        emit FabricatedRecordNamed(id, batchId, index, record);
    }

    /// @inheritdoc IAdjudicator
    function answerFabricated(
        uint256 id,
        IRewrapAuditLog.RewrapRecord calldata record,
        IRewrapAuditLog.RewrapEvidence calldata evidence,
        bytes32[] calldata proof
    ) external {
        Challenge storage c = _openChallenge(id);
        if (c.kind != ChallengeKind.FabricatedRecord) revert AdjudicatorWrongKind(id, c.kind);
        if (keccak256(abi.encode(record)) != c.subject) revert AdjudicatorInvalidEvidence(id);
        try auditLog.verifyRecord(c.accused, uint64(uint256(c.detail)), record, evidence, proof) {
            // The evidence is in this transaction's calldata; the event carries it as sent.
            _answered(id, c, msg.data[4:]);
        } catch {
            revert AdjudicatorInvalidEvidence(id);
        }
    }

    // ---------------------------------------------------------------- settling

    /// @inheritdoc IAdjudicator
    function resolve(uint256 id) external {
        Challenge storage c = _challenges[id];
        if (c.kind == ChallengeKind.None) revert AdjudicatorUnknownChallenge(id);
        if (c.status != ChallengeStatus.Open) revert AdjudicatorNotOpen(id, c.status);
        if (block.number <= c.deadline) revert AdjudicatorWindowOpen(id, c.deadline);
        address accused = c.accused;
        address challenger = c.challenger;
        ValidatorStatus status = validators.validator(accused).status;
        if (status == ValidatorStatus.Active || status == ValidatorStatus.Exiting || status == ValidatorStatus.Jailed) {
            c.status = ChallengeStatus.Slashed;
            bytes32 reason = c.kind == ChallengeKind.FabricatedRecord ? FABRICATED_REASON : WITHHELD_REASON;
            (uint256 slashed, uint256 reward) = _slash(accused, reason, challenger);
            emit ChallengeUpheld(id, accused, slashed, reward);
        } else {
            c.status = ChallengeStatus.Void;
            emit ChallengeVoided(id, accused);
        }
        stakeToken.safeTransfer(challenger, bond);
    }

    // ---------------------------------------------------------------- bad answer

    /// @inheritdoc IAdjudicator
    function proveBadShareAnswer(
        address member,
        bytes32 contentId,
        bytes32 digest,
        bytes calldata answer,
        bytes32 kasKeyX,
        bytes32 kasKeyY,
        IContentRegistry.ThresholdSlot[] calldata slots
    ) external {
        if (answer.length != SHARE_ANSWER_BYTES || uint8(answer[0]) != ANSWER_VERSION) revert AdjudicatorMalformedAnswer();
        bytes32 answerHash = keccak256(abi.encode(member, contentId, digest, keccak256(answer)));
        if (_proven[answerHash]) revert AdjudicatorAnswerAlreadyProven(answerHash);
        _checkShareSignature(member, digest, contentId, answer, kasKeyX, kasKeyY);
        if (!contents.isThresholdSlots(contentId, slots)) revert AdjudicatorNotHolder(contentId, member);
        BadAnswerFault fault = _shareAnswerFault(answer);
        if (fault == BadAnswerFault.None && !_holdsIndex(slots, member, uint16(bytes2(answer[1:3])))) {
            fault = BadAnswerFault.WrongIndex;
        }
        if (fault == BadAnswerFault.None) revert AdjudicatorAnswerNotProvablyBad();
        _proven[answerHash] = true;
        (uint256 slashed, uint256 reward) = _slash(member, BAD_ANSWER_REASON, msg.sender);
        emit BadAnswerProven(member, msg.sender, answerHash, fault, slashed, reward);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAdjudicator
    function requestDigest(RewrapRequest calldata request) external view returns (bytes32) {
        return _requestDigest(request);
    }

    /// @inheritdoc IAdjudicator
    function challenge(uint256 id) external view returns (Challenge memory) {
        return _challenges[id];
    }

    // ---------------------------------------------------------------- internals

    /// @dev The single way a challenge that waits for an answer starts: one challenge per subject
    /// (a request digest, or a record) ever, and the bond pulled from the challenger.
    function _open(ChallengeKind kind, address accused, bytes32 subject, bytes32 detail)
        private
        returns (uint256 id, uint64 deadline)
    {
        // A request is challenged once, whichever holder it names; a record once per validator.
        bytes32 key = kind == ChallengeKind.FabricatedRecord ? keccak256(abi.encode(accused, subject)) : subject;
        uint256 existing = _challengeOf[key];
        if (existing != 0) revert AdjudicatorAlreadyChallenged(subject, existing);
        id = ++challengeCount;
        deadline = uint64(block.number) + answerWindow;
        _challengeOf[key] = id;
        _challenges[id] = Challenge({
            kind: kind,
            status: ChallengeStatus.Open,
            challenger: msg.sender,
            deadline: deadline,
            accused: accused,
            shareIndex: 0,
            subject: subject,
            detail: detail
        });
        stakeToken.safeTransferFrom(msg.sender, address(this), bond);
        emit ChallengeOpened(id, kind, msg.sender, accused, deadline);
    }

    function _emitRequest(uint256 id, bytes32 digest, RewrapRequest calldata request, uint16 shareIndex) private {
        emit WithheldServiceRequested(
            id, request.contentId, digest, request.clientPublicKey, request.nonce, request.expiry, shareIndex
        );
    }

    function _openChallenge(uint256 id) private view returns (Challenge storage c) {
        c = _challenges[id];
        if (c.kind == ChallengeKind.None) revert AdjudicatorUnknownChallenge(id);
        if (c.status != ChallengeStatus.Open) revert AdjudicatorNotOpen(id, c.status);
        if (block.number > c.deadline) revert AdjudicatorAnswerTooLate(id, c.deadline);
    }

    /// @dev An answered challenge was frivolous: its bond pays the accused for the answer.
    function _answered(uint256 id, Challenge storage c, bytes calldata answer) private {
        c.status = ChallengeStatus.Answered;
        address accused = c.accused;
        stakeToken.safeTransfer(accused, bond);
        emit ChallengeAnswered(id, answer, bond);
    }

    function _slash(address accused, bytes32 reason, address challenger) private returns (uint256, uint256) {
        uint256 amount = uint256(validators.validator(accused).stake) * slashBps / BPS;
        // A node slashed to nothing is still jailed again (its unbonding restarts): slash 1 unit.
        return validators.slashWithReward(accused, amount == 0 ? 1 : amount, reason, challenger, challengerBps);
    }

    /// @dev Which answer `holder` owes for the content, by the content's replication mode.
    function _holding(bytes32 contentId, address holder, HolderProof calldata proof)
        private
        view
        returns (ChallengeKind kind, uint16 shareIndex)
    {
        (,, ReplicationMode mode,) = policies.registrationInfo(contents.policyOf(contentId));
        if (mode == ReplicationMode.All) return (ChallengeKind.WithheldRewrap, 0);
        if (mode == ReplicationMode.Stake) {
            address[] calldata members = proof.members;
            if (proof.slot >= members.length || members[proof.slot] != holder || !contents.isReplicaSet(contentId, members)) {
                revert AdjudicatorNotHolder(contentId, holder);
            }
            return (ChallengeKind.WithheldRewrap, 0);
        }
        if (mode == ReplicationMode.Threshold) {
            IContentRegistry.ThresholdSlot[] calldata slots = proof.slots;
            if (
                proof.slot >= slots.length || slots[proof.slot].member != holder
                    || slots[proof.slot].previous != address(0) || !contents.isThresholdSlots(contentId, slots)
            ) revert AdjudicatorNotHolder(contentId, holder);
            return (ChallengeKind.WithheldShare, slots[proof.slot].index);
        }
        revert AdjudicatorHoldersNotOnChain(contentId, mode);
    }

    function _checkRewrapAnswer(Challenge storage c, bytes calldata answer, bytes32 x, bytes32 y) private view {
        if (answer.length != REWRAP_ANSWER_BYTES || uint8(answer[0]) != ANSWER_VERSION) revert AdjudicatorMalformedAnswer();
        if (!KasSignatures.isCompressedPoint(answer[1:34])) revert AdjudicatorMalformedAnswer();
        bytes calldata envelope = answer[0:ENVELOPE_BYTES];
        bytes memory message = abi.encodePacked(REWRAP_ANSWER_DOMAIN, c.subject, c.detail, envelope);
        _checkKasSignature(c.accused, message, answer[ENVELOPE_BYTES:], x, y);
    }

    /// @dev The signature of a share answer, over the bytes shareAnswer.ts signs.
    function _checkShareSignature(
        address member,
        bytes32 digest,
        bytes32 contentId,
        bytes calldata answer,
        bytes32 x,
        bytes32 y
    ) private view {
        bytes memory message = abi.encodePacked(
            SHARE_ANSWER_DOMAIN, digest, contentId, answer[0:3], answer[0:SHARE_ANSWER_SIGNED_BYTES]
        );
        _checkKasSignature(member, message, answer[SHARE_ANSWER_SIGNED_BYTES:], x, y);
    }

    function _checkKasSignature(address node, bytes memory message, bytes calldata signature, bytes32 x, bytes32 y)
        private
        view
    {
        if (!KasSignatures.isValidKey(x, y)) revert AdjudicatorMalformedAnswer();
        bytes8 kid = KasSignatures.kidOf(x, y);
        if (validators.kasKeyStatus(node, kid) != KAS_KEY_VALID) revert AdjudicatorUnknownKasKey(node, kid);
        if (!KasSignatures.verify(message, signature, x, y)) revert AdjudicatorBadSignature();
    }

    /// @dev Faults visible in a share answer's bytes alone.
    function _shareAnswerFault(bytes calldata answer) private view returns (BadAnswerFault) {
        if (!KasSignatures.isCompressedPoint(answer[3:36])) return BadAnswerFault.InvalidEphemeralKey;
        return BadAnswerFault.None;
    }

    function _holdsIndex(IContentRegistry.ThresholdSlot[] calldata slots, address member, uint16 index)
        private
        pure
        returns (bool)
    {
        for (uint256 i; i < slots.length; ++i) {
            if (slots[i].member == member && slots[i].index == index) return true;
        }
        return false;
    }

    function _requestDigest(RewrapRequest calldata request) private view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                REWRAP_REQUEST_TYPEHASH, request.contentId, keccak256(request.clientPublicKey), request.nonce, request.expiry
            )
        );
        return MessageHashUtils.toTypedDataHash(_requestDomainSeparator, structHash);
    }
}
