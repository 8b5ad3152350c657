// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {IVerifier} from "./interfaces/IVerifier.sol";
import {ITesseraBridge} from "./interfaces/ITesseraBridge.sol";
import {ITesseraRollup} from "./interfaces/ITesseraRollup.sol";
import {PoseidonHasher} from "./libraries/PoseidonHasher.sol";

/// @title Tessera rollup: the chain of L2 blocks anchored on L1.
/// @notice A block (= batch) is committed with its compact public data and a commit certificate
/// of the sequencer cluster (3 of 4 precommit signatures), then verified with a Groth16 proof
/// whose single public input binds the previous and new state roots to the published data
/// (docs/PROTOCOL.md, "Public data"). Committed and verified heads are tracked separately.
/// If no batch is verified for `escapeDelay`, the system freezes for good and the bridge's
/// escape hatch opens.
contract TesseraRollup is
    Initializable,
    AccessControlUpgradeable,
    PausableUpgradeable,
    ReentrancyGuardTransient,
    UUPSUpgradeable,
    ITesseraRollup
{
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// secp256k1n / 2: signatures with a larger `s` are the malleable twin of a canonical one.
    uint256 internal constant HALF_CURVE_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    bytes32 public constant VOTE_DOMAIN = keccak256("tessera.vote.v1");
    uint8 public constant PRECOMMIT = 2;
    uint256 public constant SEQUENCER_COUNT = 4;
    uint256 public constant QUORUM = 3;

    // ---------------------------------------------------------------- configuration (immutable)
    // Fixed per implementation: changing any of them takes a timelocked upgrade.
    uint256 public immutable l2ChainId;
    /// Circuit slot count `N` (= BLOCK_MAX_TXS where blocks are proven).
    uint256 public immutable slots;
    address public immutable poseidon3;
    address public immutable poseidon6;
    IVerifier public immutable verifier;
    ITesseraBridge public immutable bridge;
    uint256 public immutable forcedInclusionDeadline;
    uint256 public immutable override escapeDelay;

    // ---------------------------------------------------------------- state
    struct Batch {
        bytes32 blockHash;
        uint256 stateRoot;
        uint256 publicInput;
        bytes32 exitRoot;
        uint64 depositEnd; // queue index after the batch's deposits
        uint32 exitCount;
        uint64 l2Timestamp;
        uint40 committedAt;
        uint40 verifiedAt;
    }

    struct Head {
        uint64 committed;
        uint64 verified;
        uint64 lastVerifiedAt;
        uint64 sequencerEpoch;
    }

    /// The header fields of docs/PROTOCOL.md that L1 does not recompute itself
    /// (`chainId` is the contract's, `dataHash` is recomputed, `depositCount` is a separate argument).
    struct BatchHeader {
        uint64 height;
        bytes32 parentHash;
        uint256 prevStateRoot;
        uint256 stateRoot;
        uint256 dataCommitment;
        uint64 depositStart;
        uint64 timestamp;
    }

    /// Precommits of one round: `signatures` is a concatenation of 65-byte `r ‖ s ‖ v`.
    struct Certificate {
        uint32 round;
        bytes signatures;
    }

    struct Groth16Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    Head internal _head;
    mapping(uint256 height => Batch) internal _batches;
    /// (epoch << 8) | (index + 1) for members of the current set; stale epochs do not count.
    mapping(address => uint256) internal _validatorInfo;
    address[4] internal _sequencers;

    // ---------------------------------------------------------------- events
    event BatchCommitted(
        uint64 indexed height,
        bytes32 indexed blockHash,
        uint256 stateRoot,
        uint256 publicInput,
        bytes32 exitRoot,
        uint64 depositStart,
        uint32 depositCount,
        uint32 exitCount
    );
    event BatchVerified(uint64 indexed height, uint256 stateRoot, address indexed submitter);
    event BatchesReverted(uint64 fromHeight, uint64 toHeight);
    event SequencerSetUpdated(uint64 indexed epoch, address[4] sequencers);
    event GenesisSet(bytes32 blockHash, uint256 stateRoot);

    // ---------------------------------------------------------------- errors
    error InvalidConfiguration(string what);
    error SystemFrozen();
    error WrongHeight(uint64 expected, uint64 got);
    error WrongParentHash(bytes32 expected, bytes32 got);
    error WrongPrevStateRoot(uint256 expected, uint256 got);
    error InvalidStateRoot();
    error InvalidDataCommitment();
    error WrongDepositStart(uint64 expected, uint64 got);
    error TimestampDecreased(uint64 parent, uint64 got);
    error MalformedData(string what);
    error TooManyTransactions(uint256 slotsUsed, uint256 maxSlots);
    error FieldElementOutOfRange();
    error ForcedInclusionRequired(uint64 queueIndex, uint64 enqueuedAt);
    error MalformedCertificate();
    error InsufficientSignatures(uint256 got, uint256 required);
    error MalleableSignature(uint256 index);
    error InvalidSignature(uint256 index);
    error NotASequencer(address signer);
    error DuplicateSigner(address signer);
    error NotNextToVerify(uint64 expected, uint64 got);
    error BatchNotCommitted(uint64 height);
    error BatchNotVerified(uint64 height);
    error InvalidProof();
    error InvalidSequencerSet();
    error CannotRevert(uint64 toHeight);
    error TimelockTooShort(uint256 delay, uint256 required);

    struct Config {
        uint256 l2ChainId;
        uint256 slots;
        address poseidon3;
        address poseidon6;
        address verifier;
        address bridge;
        uint256 forcedInclusionDeadline;
        uint256 escapeDelay;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor state-variable-immutable
    constructor(Config memory cfg) {
        if (cfg.slots == 0 || cfg.slots > type(uint32).max / 7) revert InvalidConfiguration("slots");
        if (cfg.poseidon3.code.length == 0) revert InvalidConfiguration("poseidon3");
        if (cfg.poseidon6.code.length == 0) revert InvalidConfiguration("poseidon6");
        if (cfg.verifier.code.length == 0) revert InvalidConfiguration("verifier");
        if (cfg.bridge == address(0)) revert InvalidConfiguration("bridge");
        if (cfg.forcedInclusionDeadline == 0) revert InvalidConfiguration("forcedInclusionDeadline");
        if (cfg.escapeDelay <= cfg.forcedInclusionDeadline) revert InvalidConfiguration("escapeDelay");
        l2ChainId = cfg.l2ChainId;
        slots = cfg.slots;
        poseidon3 = cfg.poseidon3;
        poseidon6 = cfg.poseidon6;
        verifier = IVerifier(cfg.verifier);
        bridge = ITesseraBridge(cfg.bridge);
        forcedInclusionDeadline = cfg.forcedInclusionDeadline;
        escapeDelay = cfg.escapeDelay;
        _disableInitializers();
    }

    /// @param genesisBlockHash the parent hash of block 1 (core's GENESIS_PARENT_HASH, zero today).
    /// @param timelock gets the admin and upgrader roles (role changes and upgrades are delayed).
    function initialize(
        bytes32 genesisBlockHash,
        uint256 genesisStateRoot,
        address[4] calldata set,
        address timelock,
        address governance,
        address pauser
    ) external initializer {
        if (genesisStateRoot == 0 || genesisStateRoot >= P) revert InvalidStateRoot();
        if (timelock.code.length == 0) revert InvalidConfiguration("timelock");
        if (governance == address(0) || pauser == address(0)) revert InvalidConfiguration("roles");
        __AccessControl_init();
        __Pausable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, timelock);
        _grantRole(UPGRADER_ROLE, timelock);
        _grantRole(GOVERNANCE_ROLE, governance);
        _grantRole(PAUSER_ROLE, pauser);

        Batch storage g = _batches[0];
        g.blockHash = genesisBlockHash;
        g.stateRoot = genesisStateRoot;
        g.committedAt = uint40(block.timestamp);
        g.verifiedAt = uint40(block.timestamp);
        _head.lastVerifiedAt = uint64(block.timestamp);
        emit GenesisSet(genesisBlockHash, genesisStateRoot);
        _setSequencers(set);
    }

    // ================================================================ commit

    /// @notice Commits the next block. Anyone may submit; the certificate authenticates it.
    /// @param records the `n` L2 records, 14 bytes each (`type ‖ from ‖ to ‖ float40 amount`).
    /// @param registrations `r` × (`ax` 32 ‖ `ay` 32 ‖ `ethAddress` 20).
    /// @param exits `e` × (`recipient` 20 ‖ `assetId` 4 ‖ `amount` 16).
    function commitBatch(
        BatchHeader calldata header,
        uint32 depositCount,
        bytes calldata records,
        bytes calldata registrations,
        bytes calldata exits,
        Certificate calldata certificate
    ) external whenNotPaused nonReentrant {
        if (isFrozen()) revert SystemFrozen();
        _checkLinkage(header);
        _checkShape(depositCount, records, registrations, exits);
        uint256[] memory deposits = _pullDeposits(header.depositStart, depositCount);
        bytes32 k = _dataHash(deposits, records, registrations, exits);
        uint256 publicInput;
        {
            uint256 z = _challenge(k, header.dataCommitment);
            uint256 y = _evaluate(z, deposits, records, registrations, exits);
            publicInput = _publicInput(header, k, y);
        }
        bytes32 blockHash = _blockHash(header, k, depositCount);
        _checkCertificate(header.height, blockHash, certificate);
        _store(header, depositCount, blockHash, publicInput, exits);
    }

    function _blockHash(BatchHeader calldata h, bytes32 k, uint32 depositCount) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                l2ChainId,
                h.height,
                h.parentHash,
                h.prevStateRoot,
                h.stateRoot,
                k,
                h.dataCommitment,
                h.depositStart,
                depositCount,
                h.timestamp
            )
        );
    }

    function _store(
        BatchHeader calldata h,
        uint32 depositCount,
        bytes32 blockHash,
        uint256 publicInput,
        bytes calldata exits
    ) private {
        uint64 height = h.height;
        (bytes32 exitRoot, uint32 exitCount) = _exitRoot(height, exits);
        Batch storage b = _batches[height];
        b.blockHash = blockHash;
        b.stateRoot = h.stateRoot;
        b.publicInput = publicInput;
        b.exitRoot = exitRoot;
        b.depositEnd = h.depositStart + depositCount;
        b.exitCount = exitCount;
        b.l2Timestamp = h.timestamp;
        b.committedAt = uint40(block.timestamp);
        _head.committed = height;
        emit BatchCommitted(
            height, blockHash, h.stateRoot, publicInput, exitRoot, h.depositStart, depositCount, exitCount
        );
    }

    function _checkLinkage(BatchHeader calldata h) private view {
        uint64 height = _head.committed + 1;
        if (h.height != height) revert WrongHeight(height, h.height);
        Batch storage parent = _batches[height - 1];
        if (h.parentHash != parent.blockHash) revert WrongParentHash(parent.blockHash, h.parentHash);
        if (h.prevStateRoot != parent.stateRoot) revert WrongPrevStateRoot(parent.stateRoot, h.prevStateRoot);
        if (h.stateRoot == 0 || h.stateRoot >= P) revert InvalidStateRoot();
        if (h.dataCommitment == 0 || h.dataCommitment >= P) revert InvalidDataCommitment();
        if (h.depositStart != parent.depositEnd) revert WrongDepositStart(parent.depositEnd, h.depositStart);
        if (h.timestamp < parent.l2Timestamp) revert TimestampDecreased(parent.l2Timestamp, h.timestamp);
    }

    function _checkShape(uint32 depositCount, bytes calldata records, bytes calldata regs, bytes calldata exits)
        private
        view
    {
        if (records.length % 14 != 0) revert MalformedData("records");
        if (regs.length % 84 != 0) revert MalformedData("registrations");
        if (exits.length % 40 != 0) revert MalformedData("exits");
        uint256 n = slots;
        uint256 used = uint256(depositCount) + records.length / 14;
        if (used > n) revert TooManyTransactions(used, n);
        // Positions 2N + 3k (k < N) and 5N + 2j (j < N) must stay inside E.
        if (regs.length / 84 > n) revert MalformedData("registrations");
        if (exits.length / 40 > n) revert MalformedData("exits");
        for (uint256 off = 0; off < regs.length; off += 84) {
            if (uint256(bytes32(regs[off:off + 32])) >= P || uint256(bytes32(regs[off + 32:off + 64])) >= P) {
                revert FieldElementOutOfRange();
            }
        }
    }

    /// Reads the consumed deposits from the bridge and enforces forced inclusion: unless the block is
    /// all deposits, the first deposit left in the queue must not be older than the deadline.
    function _pullDeposits(uint64 start, uint32 count) private view returns (uint256[] memory elements) {
        uint64 nextTimestamp;
        (elements, nextTimestamp) = bridge.depositElements(start, count);
        if (
            nextTimestamp != 0 && count < slots && block.timestamp > uint256(nextTimestamp) + forcedInclusionDeadline
        ) {
            revert ForcedInclusionRequired(start + count, nextTimestamp);
        }
    }

    /// k = keccak(uint32 m ‖ uint32 n ‖ uint32 r ‖ uint32 e ‖ deposits ‖ records ‖ registrations ‖ exits).
    function _dataHash(
        uint256[] memory deposits,
        bytes calldata records,
        bytes calldata regs,
        bytes calldata exits
    ) private pure returns (bytes32 k) {
        assembly ("memory-safe") {
            let m := shr(1, mload(deposits))
            let n := div(records.length, 14)
            let r := div(regs.length, 84)
            let e := div(exits.length, 40)
            // Built in scratch memory past the free pointer; nothing allocates before the hash.
            let ptr := mload(0x40)
            mstore(ptr, or(or(shl(224, m), shl(192, n)), or(shl(160, r), shl(128, e))))
            let o := add(ptr, 16)
            let depBytes := shl(6, m)
            mcopy(o, add(deposits, 32), depBytes)
            o := add(o, depBytes)
            calldatacopy(o, records.offset, records.length)
            o := add(o, records.length)
            for { let src := regs.offset } lt(src, add(regs.offset, regs.length)) { src := add(src, 84) } {
                mstore(o, calldataload(src))
                mstore(add(o, 32), calldataload(add(src, 32)))
                mstore(add(o, 64), shr(96, calldataload(add(src, 64))))
                o := add(o, 96)
            }
            calldatacopy(o, exits.offset, exits.length)
            o := add(o, exits.length)
            k := keccak256(ptr, sub(o, ptr))
        }
    }

    /// z = H(k >> 128, k mod 2^128, c)
    function _challenge(bytes32 k, uint256 c) private view returns (uint256) {
        return PoseidonHasher.hash3(poseidon3, uint256(k) >> 128, uint256(k) & type(uint128).max, c);
    }

    /// publicInput = H(prevStateRoot, stateRoot, k >> 128, k mod 2^128, c, y)
    function _publicInput(BatchHeader calldata h, bytes32 k, uint256 y) private view returns (uint256) {
        return PoseidonHasher.hash6(
            poseidon6, h.prevStateRoot, h.stateRoot, uint256(k) >> 128, uint256(k) & type(uint128).max, h.dataCommitment, y
        );
    }

    /// Horner's rule from the highest non-zero position down. The sparse vector has four dense
    /// segments (exits at 5N, registrations at 2N, records at 2m with stride 2, deposits at 0);
    /// the gaps between them cost one exponentiation each, never a per-position step.
    function _evaluate(
        uint256 z,
        uint256[] memory deposits,
        bytes calldata records,
        bytes calldata regs,
        bytes calldata exits
    ) private view returns (uint256 acc) {
        uint256 n2 = 2 * slots;
        assembly ("memory-safe") {
            function powmod(b, x) -> r {
                r := 1
                for {} x {} {
                    if and(x, 1) { r := mulmod(r, b, P) }
                    b := mulmod(b, b, P)
                    x := shr(1, x)
                }
            }
            // Invariant: acc = Σ E[q]·z^(q - cur) over the positions processed so far.
            let cur := 0
            // exits: 5N + 2j → recipient·2^32 + assetId, 5N + 2j + 1 → amount
            if exits.length {
                for { let src := add(exits.offset, exits.length) } gt(src, exits.offset) {} {
                    src := sub(src, 40)
                    acc := addmod(mulmod(acc, z, P), shr(128, calldataload(add(src, 24))), P)
                    acc := addmod(mulmod(acc, z, P), shr(64, calldataload(src)), P)
                }
                cur := add(n2, add(n2, shr(1, n2)))
            }
            // registrations: 2N + 3k → ax, ay, ethAddress
            if regs.length {
                let segEnd := add(n2, mul(3, div(regs.length, 84)))
                if acc { acc := mulmod(acc, powmod(z, sub(cur, segEnd)), P) }
                for { let src := add(regs.offset, regs.length) } gt(src, regs.offset) {} {
                    src := sub(src, 84)
                    acc := addmod(mulmod(acc, z, P), shr(96, calldataload(add(src, 64))), P)
                    acc := addmod(mulmod(acc, z, P), calldataload(add(src, 32)), P)
                    acc := addmod(mulmod(acc, z, P), calldataload(src), P)
                }
                cur := n2
            }
            let depWords := mload(deposits) // 2m
            // records: slot m + i → position 2(m + i), the odd positions are zero
            if records.length {
                let segEnd := add(depWords, shl(1, div(records.length, 14)))
                if acc { acc := mulmod(acc, powmod(z, sub(cur, segEnd)), P) }
                let z2 := mulmod(z, z, P)
                for { let src := add(records.offset, records.length) } gt(src, records.offset) {} {
                    src := sub(src, 14)
                    acc := addmod(mulmod(acc, z2, P), shr(144, calldataload(src)), P)
                }
                cur := depWords
            }
            // deposits: slot i → E[2i], E[2i+1] as fetched from the queue
            if depWords {
                if acc { acc := mulmod(acc, powmod(z, sub(cur, depWords)), P) }
                for { let q := depWords } q {} {
                    acc := addmod(mulmod(acc, z, P), mload(add(deposits, shl(5, q))), P)
                    q := sub(q, 1)
                }
                cur := 0
            }
            if cur { acc := mulmod(acc, powmod(z, cur), P) }
        }
    }

    /// Quorum certificate: ≥ 3 distinct current sequencers' precommits over
    /// keccak(abi.encode(keccak("tessera.vote.v1"), uint8(2), chainId, uint64 height, uint32 round, blockHash)).
    function _checkCertificate(uint64 height, bytes32 blockHash, Certificate calldata cert) private view {
        bytes32 digest = keccak256(abi.encode(VOTE_DOMAIN, PRECOMMIT, l2ChainId, height, cert.round, blockHash));
        bytes calldata sigs = cert.signatures;
        if (sigs.length % 65 != 0) revert MalformedCertificate();
        uint256 count = sigs.length / 65;
        if (count < QUORUM) revert InsufficientSignatures(count, QUORUM);
        uint256 epoch = _head.sequencerEpoch;
        uint256 seen;
        for (uint256 i = 0; i < count; ++i) {
            uint256 off = i * 65;
            bytes32 r = bytes32(sigs[off:off + 32]);
            bytes32 s = bytes32(sigs[off + 32:off + 64]);
            uint8 v = uint8(sigs[off + 64]);
            if (v < 27) v += 27;
            if (uint256(s) > HALF_CURVE_ORDER) revert MalleableSignature(i);
            if (v != 27 && v != 28) revert InvalidSignature(i);
            address signer = ecrecover(digest, v, r, s);
            if (signer == address(0)) revert InvalidSignature(i);
            uint256 info = _validatorInfo[signer];
            if (info >> 8 != epoch || info & 0xff == 0) revert NotASequencer(signer);
            uint256 bit = 1 << (info & 0xff);
            if (seen & bit != 0) revert DuplicateSigner(signer);
            seen |= bit;
        }
    }

    /// Binary keccak Merkle tree over the exit leaves, padded with zero leaves to a power of two
    /// (depth ⌈log2 e⌉; one exit: the root is the leaf; no exits: zero).
    function _exitRoot(uint64 height, bytes calldata exits) private pure returns (bytes32 root, uint32 count) {
        uint256 e = exits.length / 40;
        if (e == 0) return (bytes32(0), 0);
        uint256 width = 1;
        while (width < e) width <<= 1;
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 j = 0; j < e; ++j) {
            bytes32 leaf;
            assembly ("memory-safe") {
                // keccak(abi.encode(recipient, assetId, amount, height, j)) in scratch memory
                let src := add(exits.offset, mul(j, 40))
                let w := calldataload(src)
                let ptr := mload(0x40)
                mstore(ptr, shr(96, w))
                mstore(add(ptr, 32), and(shr(64, w), 0xffffffff))
                mstore(add(ptr, 64), shr(128, calldataload(add(src, 24))))
                mstore(add(ptr, 96), height)
                mstore(add(ptr, 128), j)
                leaf := keccak256(ptr, 160)
            }
            layer[j] = leaf;
        }
        while (width > 1) {
            width >>= 1;
            for (uint256 i = 0; i < width; ++i) {
                layer[i] = _hashPair(layer[2 * i], layer[2 * i + 1]);
            }
        }
        return (layer[0], uint32(e));
    }

    function exitLeaf(address recipient, uint256 assetId, uint256 amount, uint256 height, uint256 j)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(recipient, assetId, amount, height, j));
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0, a)
            mstore(32, b)
            h := keccak256(0, 64)
        }
    }

    // ================================================================ verify

    /// @notice Verifies the next committed batch with its Groth16 proof and advances the verified head.
    function verifyBatch(uint64 height, Groth16Proof calldata proof) external whenNotPaused nonReentrant {
        if (isFrozen()) revert SystemFrozen();
        Head memory head = _head;
        if (height != head.verified + 1) revert NotNextToVerify(head.verified + 1, height);
        if (height > head.committed) revert BatchNotCommitted(height);
        Batch storage b = _batches[height];
        bool ok;
        try verifier.verifyProof(proof.a, proof.b, proof.c, [b.publicInput]) returns (bool valid) {
            ok = valid;
        } catch {
            ok = false;
        }
        if (!ok) revert InvalidProof();
        b.verifiedAt = uint40(block.timestamp);
        _head.verified = height;
        _head.lastVerifiedAt = uint64(block.timestamp);
        emit BatchVerified(height, b.stateRoot, msg.sender);
    }

    // ================================================================ governance

    /// Rotates the sequencer set; certificates are checked against the set current at commit time.
    function setSequencers(address[4] calldata set) external onlyRole(GOVERNANCE_ROLE) {
        _setSequencers(set);
    }

    /// Drops committed but unverified batches above `toHeight` (a block that cannot be proven).
    function revertBatches(uint64 toHeight) external onlyRole(GOVERNANCE_ROLE) {
        Head memory head = _head;
        if (toHeight < head.verified || toHeight >= head.committed) revert CannotRevert(toHeight);
        for (uint64 h = head.committed; h > toHeight; --h) {
            delete _batches[h];
        }
        _head.committed = toHeight;
        emit BatchesReverted(head.committed, toHeight);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _setSequencers(address[4] calldata set) private {
        uint64 epoch = _head.sequencerEpoch + 1;
        for (uint256 i = 0; i < SEQUENCER_COUNT; ++i) {
            address s = set[i];
            if (s == address(0)) revert InvalidSequencerSet();
            for (uint256 j = 0; j < i; ++j) {
                if (set[j] == s) revert InvalidSequencerSet();
            }
            _validatorInfo[s] = (uint256(epoch) << 8) | (i + 1);
            _sequencers[i] = s;
        }
        _head.sequencerEpoch = epoch;
        emit SequencerSetUpdated(epoch, set);
    }

    /// Upgrades run through the timelock, whose delay must exceed the escape delay so that users
    /// can leave through the escape hatch before an upgrade they reject takes effect.
    function _authorizeUpgrade(address) internal view override onlyRole(UPGRADER_ROLE) {
        uint256 delay = TimelockController(payable(msg.sender)).getMinDelay();
        if (delay <= escapeDelay) revert TimelockTooShort(delay, escapeDelay + 1);
    }

    // ================================================================ views

    function isFrozen() public view override returns (bool) {
        return block.timestamp > uint256(_head.lastVerifiedAt) + escapeDelay;
    }

    function paused() public view override(PausableUpgradeable, ITesseraRollup) returns (bool) {
        return super.paused();
    }

    function committedHeight() external view returns (uint64) {
        return _head.committed;
    }

    function verifiedHeight() external view returns (uint64) {
        return _head.verified;
    }

    function lastVerifiedAt() external view returns (uint64) {
        return _head.lastVerifiedAt;
    }

    function sequencerEpoch() external view returns (uint64) {
        return _head.sequencerEpoch;
    }

    function sequencers() external view returns (address[4] memory) {
        return _sequencers;
    }

    function batch(uint64 height) external view returns (Batch memory) {
        return _batches[height];
    }

    function nextDepositIndex() external view returns (uint64) {
        return _batches[_head.committed].depositEnd;
    }

    function verifiedExits(uint64 height) external view override returns (bytes32 exitRoot, uint32 exitCount) {
        if (height == 0 || height > _head.verified) revert BatchNotVerified(height);
        Batch storage b = _batches[height];
        return (b.exitRoot, b.exitCount);
    }

    function verifiedState() external view override returns (uint256 stateRoot, uint64 depositEnd, uint64 height) {
        height = _head.verified;
        Batch storage b = _batches[height];
        return (b.stateRoot, b.depositEnd, height);
    }
}
