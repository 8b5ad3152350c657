// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ITesseraBridge} from "./interfaces/ITesseraBridge.sol";
import {ITesseraRollup} from "./interfaces/ITesseraRollup.sol";
import {PoseidonHasher} from "./libraries/PoseidonHasher.sol";

/// @title Tessera bridge: custody of ETH and listed ERC-20s, the deposit queue and all payouts.
/// @notice Deposits enter a priority queue that the rollup consumes in order. Exits are claimed
/// once each with a Merkle proof against a verified batch's exit root. When the rollup is frozen
/// (no batch verified for `escapeDelay`), account balances are withdrawn with a Merkle proof
/// against the last verified state root, and deposits the verified state never consumed are
/// returned to their depositors. The pause switch is the rollup's: pausing for longer than the
/// escape delay freezes the system, and neither the escape hatch nor claims of a frozen system
/// can be paused.
contract TesseraBridge is
    Initializable,
    AccessControlUpgradeable,
    ReentrancyGuardTransient,
    UUPSUpgradeable,
    ITesseraBridge
{
    using SafeERC20 for IERC20;

    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    bytes32 public constant TOKEN_LISTER_ROLE = keccak256("TOKEN_LISTER_ROLE");
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// ETH is `address(0)` in `deposit` and asset 1 on L2.
    address public constant ETH = address(0);
    uint32 public constant ETH_ASSET_ID = 1;
    uint256 internal constant DEPOSIT_TYPE = 3;

    // ---------------------------------------------------------------- configuration (immutable)
    ITesseraRollup public immutable rollup;
    /// Accounts-tree arity `A` and depth `D` (docs/PROTOCOL.md, "State").
    uint256 public immutable arity;
    uint256 public immutable depth;
    address public immutable poseidonArity;
    address public immutable poseidon4;
    address public immutable poseidon5;

    // ---------------------------------------------------------------- state
    struct QueuedDeposit {
        /// E[2i] = 3·2^192 + to·2^160 + assetId·2^128 + amount
        uint256 element;
        address depositor;
        uint64 enqueuedAt;
    }

    /// An account leaf's preimage: H(ax, ay, ethAddress, meta, balance).
    struct Account {
        uint256 ax;
        uint256 ay;
        address ethAddress;
        uint256 meta;
        uint256 balance;
    }

    mapping(uint256 index => QueuedDeposit) internal _queue;
    uint64 public override queueLength;

    mapping(address token => uint32) public assetIdOf;
    mapping(uint32 assetId => address) public tokenOf;
    mapping(address token => bool) public depositsEnabled;

    /// Claimed exits: word (height << 24 | j >> 8), bit j & 255.
    mapping(uint256 => uint256) internal _claimed;
    mapping(uint256 accountIndex => bool) public escaped;
    mapping(uint256 queueIndex => bool) public reclaimed;

    // ---------------------------------------------------------------- events
    event DepositQueued(
        uint64 indexed queueIndex,
        address indexed depositor,
        uint32 indexed toIndex,
        uint32 assetId,
        address token,
        uint256 amount,
        uint256 element
    );
    event TokenListed(address indexed token, uint32 indexed assetId);
    event DepositsEnabledSet(address indexed token, bool enabled);
    event ExitClaimed(
        uint64 indexed height, uint32 indexed j, address indexed recipient, uint32 assetId, uint256 amount, address caller
    );
    event EscapeWithdrawal(uint256 indexed accountIndex, address indexed recipient, uint32 assetId, uint256 amount);
    event DepositReclaimed(uint64 indexed queueIndex, address indexed depositor, uint32 assetId, uint256 amount);

    // ---------------------------------------------------------------- errors
    error InvalidConfiguration(string what);
    error SystemPaused();
    error SystemFrozen();
    error NotFrozen();
    error InvalidAmount(uint256 amount);
    error InvalidAccountIndex(uint256 index);
    error WrongEthValue(uint256 sent, uint256 expected);
    error TokenNotListed(address token);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    error InvalidToken(address token);
    error AssetAlreadyListed(uint32 assetId);
    error TokenAlreadyListed(address token);
    error InvalidAssetId(uint32 assetId);
    error UnknownAsset(uint32 assetId);
    error DepositsNotQueued(uint64 end, uint64 queueLength);
    error NoExits(uint64 height);
    error InvalidExitIndex(uint32 j, uint32 exitCount);
    error AlreadyClaimed(uint64 height, uint32 j);
    error InvalidMerkleProof();
    error EthTransferFailed(address to);
    error AlreadyEscaped(uint256 accountIndex);
    error AccountBanned(uint256 accountIndex);
    error InvalidRecipient();
    error StateRootMismatch();
    error DepositAlreadyConsumed(uint64 queueIndex);
    error AlreadyReclaimed(uint64 queueIndex);
    error TimelockTooShort(uint256 delay, uint256 required);

    modifier onlyRollupLive() {
        if (rollup.paused()) revert SystemPaused();
        if (rollup.isFrozen()) revert SystemFrozen();
        _;
    }

    modifier onlyFrozen() {
        if (!rollup.isFrozen()) revert NotFrozen();
        _;
    }

    struct Config {
        address rollup;
        uint256 arity;
        uint256 depth;
        address poseidonArity;
        address poseidon4;
        address poseidon5;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor state-variable-immutable
    constructor(Config memory cfg) {
        if (cfg.rollup == address(0)) revert InvalidConfiguration("rollup");
        // Arity 8 would need an 8-input Poseidon on L1, which circomlibjs cannot generate.
        if (cfg.arity != 2 && cfg.arity != 4) revert InvalidConfiguration("arity");
        // A^D must fit the 32-bit account index of the records.
        if (cfg.depth == 0 || cfg.depth * _log2(cfg.arity) > 32) revert InvalidConfiguration("depth");
        if (cfg.poseidonArity.code.length == 0) revert InvalidConfiguration("poseidonArity");
        if (cfg.poseidon4.code.length == 0) revert InvalidConfiguration("poseidon4");
        if (cfg.poseidon5.code.length == 0) revert InvalidConfiguration("poseidon5");
        rollup = ITesseraRollup(cfg.rollup);
        arity = cfg.arity;
        depth = cfg.depth;
        poseidonArity = cfg.poseidonArity;
        poseidon4 = cfg.poseidon4;
        poseidon5 = cfg.poseidon5;
        _disableInitializers();
    }

    function initialize(address timelock, address tokenLister) external initializer {
        if (timelock.code.length == 0) revert InvalidConfiguration("timelock");
        if (tokenLister == address(0)) revert InvalidConfiguration("tokenLister");
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, timelock);
        _grantRole(UPGRADER_ROLE, timelock);
        _grantRole(TOKEN_LISTER_ROLE, tokenLister);
    }

    // ================================================================ deposits

    /// @notice Queues a deposit of `amount` of `token` (`address(0)` = ETH, sent as value) for L2
    /// account `toIndex`. If the account cannot take it, L2 turns it into a refund exit to the sender.
    function deposit(uint32 toIndex, address token, uint256 amount)
        external
        payable
        nonReentrant
        onlyRollupLive
        returns (uint64 queueIndex)
    {
        if (amount == 0 || amount > type(uint128).max) revert InvalidAmount(amount);
        if (toIndex == 0) revert InvalidAccountIndex(toIndex);
        uint32 assetId;
        if (token == ETH) {
            if (msg.value != amount) revert WrongEthValue(msg.value, amount);
            assetId = ETH_ASSET_ID;
        } else {
            if (msg.value != 0) revert WrongEthValue(msg.value, 0);
            assetId = assetIdOf[token];
            if (assetId == 0 || !depositsEnabled[token]) revert TokenNotListed(token);
            uint256 before = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
            uint256 received = IERC20(token).balanceOf(address(this)) - before;
            if (received != amount) revert FeeOnTransferToken(token, amount, received);
        }
        uint256 element = (DEPOSIT_TYPE << 192) | (uint256(toIndex) << 160) | (uint256(assetId) << 128) | amount;
        queueIndex = queueLength;
        _queue[queueIndex] = QueuedDeposit(element, msg.sender, uint64(block.timestamp));
        queueLength = queueIndex + 1;
        emit DepositQueued(queueIndex, msg.sender, toIndex, assetId, token, amount, element);
    }

    /// @inheritdoc ITesseraBridge
    function depositElements(uint64 start, uint32 count)
        external
        view
        override
        returns (uint256[] memory elements, uint64 nextTimestamp)
    {
        uint64 len = queueLength;
        uint64 end = start + count;
        if (end > len) revert DepositsNotQueued(end, len);
        elements = new uint256[](2 * uint256(count));
        for (uint256 i = 0; i < count; ++i) {
            QueuedDeposit storage d = _queue[start + i];
            elements[2 * i] = d.element;
            elements[2 * i + 1] = uint160(d.depositor);
        }
        if (end < len) nextTimestamp = _queue[end].enqueuedAt;
    }

    function queuedDeposit(uint64 queueIndex) external view returns (QueuedDeposit memory) {
        return _queue[queueIndex];
    }

    // ================================================================ exits

    /// @notice Pays exit `j` of verified batch `height` to its recipient. Anyone may submit it
    /// (the operator does, as a gas subsidy); the funds always go to `recipient`.
    function claim(
        uint64 height,
        uint32 j,
        address recipient,
        uint32 assetId,
        uint256 amount,
        bytes32[] calldata proof
    ) external nonReentrant {
        // A frozen system can no longer be paused out of paying what it verified.
        if (rollup.paused() && !rollup.isFrozen()) revert SystemPaused();
        (bytes32 root, uint32 exitCount) = rollup.verifiedExits(height);
        if (exitCount == 0 || root == bytes32(0)) revert NoExits(height);
        if (j >= exitCount) revert InvalidExitIndex(j, exitCount);
        uint256 word = (uint256(height) << 24) | (j >> 8);
        uint256 bit = 1 << (j & 0xff);
        if (_claimed[word] & bit != 0) revert AlreadyClaimed(height, j);
        bytes32 leaf = keccak256(abi.encode(recipient, uint256(assetId), amount, uint256(height), uint256(j)));
        if (!_verifyExitProof(leaf, j, exitCount, proof, root)) revert InvalidMerkleProof();
        _claimed[word] |= bit;
        _payout(recipient, assetId, amount);
        emit ExitClaimed(height, j, recipient, assetId, amount, msg.sender);
    }

    function isClaimed(uint64 height, uint32 j) external view returns (bool) {
        return _claimed[(uint256(height) << 24) | (j >> 8)] & (1 << (j & 0xff)) != 0;
    }

    function _verifyExitProof(bytes32 leaf, uint256 index, uint256 count, bytes32[] calldata proof, bytes32 root)
        private
        pure
        returns (bool)
    {
        uint256 levels;
        while ((uint256(1) << levels) < count) ++levels;
        if (proof.length != levels) return false;
        bytes32 node = leaf;
        for (uint256 i = 0; i < levels; ++i) {
            bytes32 sibling = proof[i];
            node = (index & 1) == 0
                ? keccak256(abi.encodePacked(node, sibling))
                : keccak256(abi.encodePacked(sibling, node));
            index >>= 1;
        }
        return node == root;
    }

    // ================================================================ escape hatch

    /// @notice After the freeze, withdraws an account's whole balance to its bound Ethereum address
    /// with a Merkle proof of its leaf against the last verified state root. Once per account.
    /// @param siblings per level from the leaf up, the `A - 1` other children in child order.
    /// @param otherRoots assetsRoot, notesRoot, keyImagesRoot.
    function escape(
        uint256 accountIndex,
        Account calldata account,
        uint256 accountsRoot,
        uint256[3] calldata otherRoots,
        uint256[] calldata siblings
    ) external nonReentrant onlyFrozen {
        if (accountIndex == 0 || accountIndex >= arity ** depth) revert InvalidAccountIndex(accountIndex);
        if (escaped[accountIndex]) revert AlreadyEscaped(accountIndex);
        if (account.ethAddress == address(0)) revert InvalidRecipient();
        if (account.balance == 0 || account.balance > type(uint128).max) revert InvalidAmount(account.balance);
        if (account.ax >= P || account.ay >= P || account.meta >= P) revert StateRootMismatch();
        if ((account.meta >> 88) & 1 != 0) revert AccountBanned(accountIndex);

        uint256[] memory leafInputs = new uint256[](5);
        leafInputs[0] = account.ax;
        leafInputs[1] = account.ay;
        leafInputs[2] = uint160(account.ethAddress);
        leafInputs[3] = account.meta;
        leafInputs[4] = account.balance;
        uint256 node = PoseidonHasher.hash(poseidon5, leafInputs);
        if (_accountsRootFrom(node, accountIndex, siblings) != accountsRoot) revert StateRootMismatch();

        uint256[] memory rootInputs = new uint256[](4);
        rootInputs[0] = accountsRoot;
        rootInputs[1] = otherRoots[0];
        rootInputs[2] = otherRoots[1];
        rootInputs[3] = otherRoots[2];
        (uint256 verifiedRoot,,) = rollup.verifiedState();
        if (PoseidonHasher.hash(poseidon4, rootInputs) != verifiedRoot) revert StateRootMismatch();

        escaped[accountIndex] = true;
        uint32 assetId = uint32(account.meta);
        _payout(account.ethAddress, assetId, account.balance);
        emit EscapeWithdrawal(accountIndex, account.ethAddress, assetId, account.balance);
    }

    function _accountsRootFrom(uint256 node, uint256 index, uint256[] calldata siblings)
        private
        view
        returns (uint256)
    {
        uint256 a = arity;
        uint256 d = depth;
        if (siblings.length != d * (a - 1)) revert StateRootMismatch();
        uint256[] memory children = new uint256[](a);
        uint256 s;
        for (uint256 level = 0; level < d; ++level) {
            uint256 pos = index % a;
            for (uint256 c = 0; c < a; ++c) {
                if (c == pos) {
                    children[c] = node;
                } else {
                    uint256 sib = siblings[s++];
                    if (sib >= P) revert StateRootMismatch();
                    children[c] = sib;
                }
            }
            node = PoseidonHasher.hash(poseidonArity, children);
            index /= a;
        }
        return node;
    }

    /// @notice After the freeze, returns a deposit that no verified batch consumed to its depositor.
    function reclaimDeposit(uint64 queueIndex) external nonReentrant onlyFrozen {
        (, uint64 verifiedDepositEnd,) = rollup.verifiedState();
        if (queueIndex < verifiedDepositEnd) revert DepositAlreadyConsumed(queueIndex);
        if (queueIndex >= queueLength) revert DepositsNotQueued(queueIndex + 1, queueLength);
        if (reclaimed[queueIndex]) revert AlreadyReclaimed(queueIndex);
        QueuedDeposit storage d = _queue[queueIndex];
        uint32 assetId = uint32(d.element >> 128);
        uint256 amount = uint128(d.element);
        address depositor = d.depositor;
        reclaimed[queueIndex] = true;
        _payout(depositor, assetId, amount);
        emit DepositReclaimed(queueIndex, depositor, assetId, amount);
    }

    // ================================================================ payouts

    function _payout(address to, uint32 assetId, uint256 amount) private {
        if (assetId == ETH_ASSET_ID) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to);
        } else {
            address token = tokenOf[assetId];
            if (token == address(0)) revert UnknownAsset(assetId);
            IERC20(token).safeTransfer(to, amount);
        }
    }

    // ================================================================ token registry

    /// Maps an L1 token to its L2 asset id, for good: exits of that asset always pay this token.
    function listToken(address token, uint32 assetId) external onlyRole(TOKEN_LISTER_ROLE) {
        if (token == ETH || token.code.length == 0) revert InvalidToken(token);
        if (assetId <= ETH_ASSET_ID) revert InvalidAssetId(assetId);
        if (assetIdOf[token] != 0) revert TokenAlreadyListed(token);
        if (tokenOf[assetId] != address(0)) revert AssetAlreadyListed(assetId);
        assetIdOf[token] = assetId;
        tokenOf[assetId] = token;
        depositsEnabled[token] = true;
        emit TokenListed(token, assetId);
        emit DepositsEnabledSet(token, true);
    }

    /// Stops or resumes new deposits of a listed token; its exits stay claimable.
    function setDepositsEnabled(address token, bool enabled) external onlyRole(TOKEN_LISTER_ROLE) {
        if (assetIdOf[token] == 0) revert TokenNotListed(token);
        depositsEnabled[token] = enabled;
        emit DepositsEnabledSet(token, enabled);
    }

    function _authorizeUpgrade(address) internal view override onlyRole(UPGRADER_ROLE) {
        uint256 delay = TimelockController(payable(msg.sender)).getMinDelay();
        uint256 escapeDelay = rollup.escapeDelay();
        if (delay <= escapeDelay) revert TimelockTooShort(delay, escapeDelay + 1);
    }

    function _log2(uint256 x) private pure returns (uint256 r) {
        while (x > 1) {
            x >>= 1;
            ++r;
        }
    }
}
