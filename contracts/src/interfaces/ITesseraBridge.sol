// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the rollup needs to know about the bridge's deposit queue.
interface ITesseraBridge {
    /// The public-data elements `E[2i], E[2i+1]` of `count` queued deposits from `start`, in queue
    /// order, and the enqueue time of the first deposit after them (0 when there is none).
    function depositElements(uint64 start, uint32 count)
        external
        view
        returns (uint256[] memory elements, uint64 nextTimestamp);

    function queueLength() external view returns (uint64);
}
