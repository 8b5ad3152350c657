// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The Groth16 verifier exported by snarkjs (`zkey export solidityverifier`) for a circuit
/// with exactly one public input.
interface IVerifier {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[1] calldata input
    ) external view returns (bool);
}
