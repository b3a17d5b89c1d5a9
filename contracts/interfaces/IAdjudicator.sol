// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IContentRegistry} from "./IContentRegistry.sol";
import {IRewrapAuditLog} from "./IRewrapAuditLog.sol";
import {ReplicationMode} from "../types/DekmeshTypes.sol";

/// @title IAdjudicator
/// @notice Challenges that slash validators (docs/challenges.md). Two kinds give the accused a
/// window of `answerWindow` blocks to answer on chain; one is a self-contained proof:
///  - Withheld service: a reader with access names a holder of a content and posts a bond with
///    its rewrap request; the holder must post an answer signed by its KAS key in time. Answered:
///    the bond pays the holder. Not answered: anyone resolves, the holder is slashed and jailed,
///    the challenger gets its bond back and a share of the slashed stake.
///  - Fabricated record: anyone names a record of a verifiable audit batch (validator, batch,
///    index) with a bond; within the window someone must post the record's evidence, which the
///    audit log's `verifyRecord` checks.
///  - Bad answer: a share answer signed by a member's KAS key that can open for nobody (wrong
///    slot index, or no valid ephemeral key) slashes the member at once.
interface IAdjudicator {
    enum ChallengeKind {
        None,
        /// Withheld service by a holder that answers with a rewrap envelope (all, stake modes).
        WithheldRewrap,
        /// Withheld service by a threshold member that answers with its share answer.
        WithheldShare,
        FabricatedRecord
    }

    enum ChallengeStatus {
        None,
        Open,
        /// The accused answered in time; the bond went to it.
        Answered,
        /// The window passed unanswered; the accused was slashed and jailed.
        Slashed,
        /// The window passed unanswered but the accused had already exited with its stake: the
        /// bond went back to the challenger and nothing was slashed.
        Void
    }

    /// @notice What a withheld-service challenge carries: the reader's EIP-712 `RewrapRequest`
    /// (node/protocol/rewrap/eip712.ts). The challenge transaction is the reader's signature.
    struct RewrapRequest {
        bytes32 contentId;
        /// Compressed P-256 one-time key the answer is wrapped to.
        bytes clientPublicKey;
        uint256 nonce;
        uint64 expiry;
    }

    /// @notice Why `holder` holds the content: for `stake(k)` the current replica set and the
    /// holder's slot in it; for `threshold(m, n)` the current slots and the holder's slot (an
    /// enrolled one, `previous` zero); nothing for `all`.
    struct HolderProof {
        address[] members;
        IContentRegistry.ThresholdSlot[] slots;
        uint256 slot;
    }

    /// @notice The stored state of a challenge.
    struct Challenge {
        ChallengeKind kind;
        ChallengeStatus status;
        address challenger;
        uint64 deadline;
        address accused;
        /// Withheld share challenges: the x of the share the member must answer with.
        uint16 shareIndex;
        /// Withheld: the EIP-712 digest of the request. Fabricated: keccak256 of the ABI-encoded record.
        bytes32 subject;
        /// Withheld: the content id. Fabricated: the batch id.
        bytes32 detail;
    }

    event ChallengeOpened(
        uint256 indexed id, ChallengeKind kind, address indexed challenger, address indexed accused, uint64 deadline
    );
    /// @notice The request of withheld-service challenge `id`, everything the holder needs to answer.
    event WithheldServiceRequested(
        uint256 indexed id, bytes32 indexed contentId, bytes32 requestDigest, bytes clientPublicKey, uint256 nonce, uint64 expiry, uint16 shareIndex
    );
    /// @notice Fabricated-record challenge `id` names record `index` of `batchId`.
    event FabricatedRecordNamed(uint256 indexed id, uint64 batchId, uint256 index, IRewrapAuditLog.RewrapRecord record);
    /// @notice The accused answered challenge `id`: `answer` is the signed envelope or share
    /// answer (withheld) or the evidence (fabricated); `bond` went to the accused.
    event ChallengeAnswered(uint256 indexed id, bytes answer, uint256 bond);
    /// @notice Challenge `id` was not answered in time: the accused lost `slashed` of its stake,
    /// `reward` of it to the challenger, and the challenger got its bond back.
    event ChallengeUpheld(uint256 indexed id, address indexed accused, uint256 slashed, uint256 reward);
    /// @notice Challenge `id` was not answered, but the accused had exited: bond returned.
    event ChallengeVoided(uint256 indexed id, address indexed accused);
    /// @notice `prover` proved that `member` signed an answer no reader can open; it was slashed.
    event BadAnswerProven(
        address indexed member, address indexed prover, bytes32 indexed answerHash, BadAnswerFault fault, uint256 slashed, uint256 reward
    );

    /// @notice What makes a signed share answer provably bad without any secret.
    enum BadAnswerFault {
        None,
        /// The answer carries a share index that is none of the member's slots for the content.
        WrongIndex,
        /// The answer's ephemeral key is not a P-256 point: it opens for no key at all.
        InvalidEphemeralKey
    }

    error AdjudicatorInvalidParameters();
    error AdjudicatorMalformedRequest();
    error AdjudicatorRequestExpired(uint64 expiry);
    /// @notice The challenger may not read the content (`reason` is an `AccessReason`).
    error AdjudicatorNoAccess(bytes32 contentId, address reader, uint8 reason);
    error AdjudicatorNotActiveValidator(address account);
    /// @notice The proof does not show `holder` holding the content.
    error AdjudicatorNotHolder(bytes32 contentId, address holder);
    /// @notice xor and explicit contents' holders are not on chain (docs/challenges.md).
    error AdjudicatorHoldersNotOnChain(bytes32 contentId, ReplicationMode mode);
    /// @notice `subject` (a request digest, or a record's hash) was challenged as `id`.
    error AdjudicatorAlreadyChallenged(bytes32 subject, uint256 id);
    error AdjudicatorUnknownChallenge(uint256 id);
    error AdjudicatorNotOpen(uint256 id, ChallengeStatus status);
    error AdjudicatorAnswerTooLate(uint256 id, uint64 deadline);
    error AdjudicatorWindowOpen(uint256 id, uint64 deadline);
    error AdjudicatorWrongKind(uint256 id, ChallengeKind kind);
    error AdjudicatorMalformedAnswer();
    /// @notice `kid` is not a valid (registered, unrevoked) KAS key of `node`.
    error AdjudicatorUnknownKasKey(address node, bytes8 kid);
    error AdjudicatorBadSignature();
    error AdjudicatorAnswerAlreadyProven(bytes32 answerHash);
    /// @notice The share answer is not provably bad: it may be a good answer.
    error AdjudicatorAnswerNotProvablyBad();
    error AdjudicatorInvalidEvidence(uint256 id);

    /// @notice Opens a withheld-service challenge against `holder` (caller: a reader with access;
    /// pulls `bond` stake tokens from it).
    function openWithheld(RewrapRequest calldata request, address holder, HolderProof calldata proof)
        external
        returns (uint256 id);

    /// @notice Answers withheld-service challenge `id` within the window (anyone may send it; the
    /// signature is the holder's). `answer`: for `WithheldRewrap` the 82-byte rewrap envelope
    /// then a 64-byte P-256 signature r‖s over SHA-256("dekmesh/challenge/rewrap-answer/v1" ‖
    /// requestDigest ‖ contentId ‖ envelope); for `WithheldShare` the member's 148-byte share
    /// answer. (`kasKeyX`, `kasKeyY`): the holder's KAS key that signed.
    function answerWithheld(uint256 id, bytes calldata answer, bytes32 kasKeyX, bytes32 kasKeyY) external;

    /// @notice Opens a fabricated-record challenge against record `index` of `validator`'s
    /// verifiable batch `batchId` (anyone; pulls `bond`). `records`: the batch's packed records
    /// as its `RewrapBatchRecorded` event carries them (the audit log's `recordAt` checks them).
    function openFabricated(address validator, uint64 batchId, bytes calldata records, uint256 index)
        external
        returns (uint256 id);

    /// @notice Answers fabricated-record challenge `id` with the record, its evidence and its
    /// Merkle proof (anyone may: the evidence blob is public); the audit log's `verifyRecord` decides.
    function answerFabricated(
        uint256 id,
        IRewrapAuditLog.RewrapRecord calldata record,
        IRewrapAuditLog.RewrapEvidence calldata evidence,
        bytes32[] calldata proof
    ) external;

    /// @notice Settles an unanswered challenge after its window: slashes the accused.
    function resolve(uint256 id) external;

    /// @notice Proves that `member` signed a share answer for `contentId` that no reader can open.
    function proveBadShareAnswer(
        address member,
        bytes32 contentId,
        bytes32 requestDigest,
        bytes calldata answer,
        bytes32 kasKeyX,
        bytes32 kasKeyY,
        IContentRegistry.ThresholdSlot[] calldata slots
    ) external;

    /// @notice The digest a validator computes for `request` (the audit log's EIP-712 domain).
    function requestDigest(RewrapRequest calldata request) external view returns (bytes32);

    function challenge(uint256 id) external view returns (Challenge memory);
}
