// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskView} from "../types/Types.sol";
import {INodeRegistry} from "./INodeRegistry.sol";
import {ISessionManager} from "./ISessionManager.sol";
import {ITaskManager} from "./ITaskManager.sol";

/// @title COR network
/// @notice The one address users talk to. It holds every COR the protocol owes: session deposits and escrows,
/// node stakes, unclaimed rewards and protocol fees; token.balanceOf(network) equals their sum.
/// Implemented by CorNetwork (tasks) and CorRegistry (everything else, by delegatecall from CorNetwork).
interface ICorNetwork is INodeRegistry, ISessionManager, ITaskManager {
    /// @notice The COR token.
    function token() external view returns (address);

    /// @notice Address of the CorRegistry code CorNetwork delegates its cold-path functions to.
    function registry() external view returns (address);

    /// @notice A task with its slot table unpacked: miners, output tokens and hashes (commitments before reveal, zero
    /// for a slot committed by commitRoot, result hashes after), the accepted result hash and node once Finalized,
    /// the escrow while open.
    function getTask(uint256 taskId) external view returns (TaskView memory);

    /// @notice The `index`-th attestation of a task: validator node id and one score (0..10000) per slot.
    function getAttestation(uint256 taskId, uint256 index)
        external
        view
        returns (uint32 validatorId, uint16[] memory scores);
}
