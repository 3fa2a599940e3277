// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";

import {ICorNetwork} from "../../../contracts/interfaces/ICorNetwork.sol";
import {Node, NodeStatus, Session, TaskStatus, TaskView} from "../../../contracts/types/Types.sol";

/// @notice Raw reads of CorNetwork's storage for the invariant suite: checking every node, session and task after
/// every call through the ABI views (getNode ~13k gas, getTask ~17k) would cost more than the rest of a run.
/// Field offsets are those of NodeRecord / NodeLedger, Session and TaskState (see Types.sol and Packing.sol); the
/// base slots of the three mappings are found once by probing and `verify` checks every field read here against
/// the views, so a layout change fails setUp with a clear message instead of a false invariant failure.
abstract contract CorStorageLens {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address internal _lensTarget;
    uint256 internal _nodesBase;
    uint256 internal _sessionsBase;
    uint256 internal _tasksBase;

    struct NodeWord {
        NodeStatus status;
        uint16 open;
        uint96 rewards;
        uint96 stake;
    }

    struct TaskWord {
        TaskStatus status;
        uint8 droppedMask;
        uint8 retries;
        uint8 attestations;
        uint8 redundancy;
        uint24 maxTokens;
        uint40 deadline;
        uint256 miners; // 32-bit lanes, lane 7: assigner
    }

    /// @dev Finds the base slots of _nodes, _sessions and _tasks from node 1, session 1 and task `taskId`.
    function _discover(ICorNetwork network, uint256 taskId) internal {
        _lensTarget = address(network);
        Node memory node = network.getNode(1);
        Session memory session = network.getSession(1);
        TaskView memory task = network.getTask(taskId);
        for (uint256 base; base < 64; ++base) {
            uint256 n = uint256(keccak256(abi.encode(uint256(1), base)));
            if (_load(n) == uint256(uint160(node.account)) | uint256(node.role) << 160 && _load(n + 2) == node.stake) {
                _nodesBase = base;
            }
            uint256 s = uint256(keccak256(abi.encode(uint256(1), base)));
            if (address(uint160(_load(s))) == session.owner && bytes32(_load(s + 3)) == session.modelId) {
                _sessionsBase = base;
            }
            uint256 t = uint256(keccak256(abi.encode(taskId, base)));
            uint256 w = _load(t);
            if (w != 0 && uint8(w >> 72) == task.miners.length && uint24(w >> 80) == task.maxTokens) _tasksBase = base;
        }
        require(_nodesBase != 0 && _sessionsBase != 0 && _tasksBase != 0, "lens: storage layout not found");
        _verify(network, 1, 1, taskId);
    }

    /// @dev Every raw read agrees with the views (run at setUp).
    function _verify(ICorNetwork network, uint32 nodeId, uint32 sessionId, uint256 taskId) internal view {
        Node memory node = network.getNode(nodeId);
        NodeWord memory w = _nodeWord(nodeId);
        require(
            w.status == node.status && w.open == node.open && w.rewards == node.rewards && w.stake == node.stake,
            "lens: node layout changed"
        );
        Session memory session = network.getSession(sessionId);
        (uint112 deposit, uint112 escrowed) = _sessionFunds(sessionId);
        require(
            deposit == session.deposit && escrowed == session.escrowed
                && _sessionPrice(sessionId) == session.pricePerToken,
            "lens: session layout changed"
        );
        TaskView memory task = network.getTask(taskId);
        TaskWord memory t = _taskWord(taskId);
        require(
            t.status == task.status && t.droppedMask == task.droppedMask && t.retries == task.retries
                && t.attestations == task.attestations && t.redundancy == task.miners.length
                && t.maxTokens == task.maxTokens && t.deadline == task.deadline,
            "lens: task layout changed"
        );
        for (uint256 i; i < task.miners.length; ++i) {
            require(uint32(t.miners >> (32 * i)) == task.miners[i], "lens: task miners layout changed");
        }
    }

    function _load(uint256 slot) internal view returns (uint256) {
        return uint256(VM.load(_lensTarget, bytes32(slot)));
    }

    /// @dev NodeRecord: slot 1 the ledger (status @0, open @112, rewards @160), slot 2 the stake.
    function _nodeWord(uint32 nodeId) internal view returns (NodeWord memory w) {
        uint256 base = uint256(keccak256(abi.encode(uint256(nodeId), _nodesBase)));
        uint256 ledger = _load(base + 1);
        w.status = NodeStatus(uint8(ledger));
        w.open = uint16(ledger >> 112);
        w.rewards = uint96(ledger >> 160);
        w.stake = uint96(_load(base + 2));
    }

    /// @dev Session slot 1: deposit @0, escrowed @112.
    function _sessionFunds(uint32 sessionId) internal view returns (uint112 deposit, uint112 escrowed) {
        uint256 word = _load(uint256(keccak256(abi.encode(uint256(sessionId), _sessionsBase))) + 1);
        (deposit, escrowed) = (uint112(word), uint112(word >> 112));
    }

    /// @dev Session slot 2: pricePerToken @0.
    function _sessionPrice(uint32 sessionId) internal view returns (uint96) {
        return uint96(_load(uint256(keccak256(abi.encode(uint256(sessionId), _sessionsBase))) + 2));
    }

    /// @dev Session slot 0: assignment mode @184.
    function _sessionMode(uint32 sessionId) internal view returns (uint8) {
        return uint8(_load(uint256(keccak256(abi.encode(uint256(sessionId), _sessionsBase)))) >> 184);
    }

    /// @dev Task slot 0: the TaskState word (offsets as in Packing); slot 1: the miner lanes.
    function _taskWord(uint256 taskId) internal view returns (TaskWord memory t) {
        uint256 base = uint256(keccak256(abi.encode(taskId, _tasksBase)));
        uint256 w = _load(base);
        t.status = TaskStatus(uint8(w));
        t.droppedMask = uint8(w >> 24);
        t.retries = uint8(w >> 56);
        t.attestations = uint8(w >> 64);
        t.redundancy = uint8(w >> 72);
        t.maxTokens = uint24(w >> 80);
        t.deadline = uint40(w >> 128);
        t.miners = _load(base + 1);
    }

    function _taskStatus(uint256 taskId) internal view returns (TaskStatus) {
        return TaskStatus(uint8(_load(uint256(keccak256(abi.encode(taskId, _tasksBase))))));
    }
}
