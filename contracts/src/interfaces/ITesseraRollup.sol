// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the bridge needs to know about the rollup.
interface ITesseraRollup {
    /// Exit root and exit count of a batch; reverts unless the batch is verified.
    function verifiedExits(uint64 height) external view returns (bytes32 exitRoot, uint32 exitCount);

    /// True once no batch has been verified for `escapeDelay` (final: commits and proofs stop).
    function isFrozen() external view returns (bool);

    /// True while the pauser holds the system (commits, proofs, deposits and claims stop).
    function paused() external view returns (bool);

    /// State root and deposit-queue end of the last verified batch.
    function verifiedState() external view returns (uint256 stateRoot, uint64 depositEnd, uint64 height);

    function escapeDelay() external view returns (uint256);
}
