// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Brings the OpenZeppelin deployment pieces into the compiled artifact set: the UUPS proxies of
// the rollup and the bridge, and the timelock that owns their upgrades.
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
