// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {Packing} from "../contracts/libraries/Packing.sol";
import {NodeLedger, NodeStatus, TaskState, TaskStatus} from "../contracts/types/Types.sol";

/// @notice Holds one NodeLedger and one TaskState in storage, written and read both ways: by Solidity field access
/// and by Packing's hand-written word codec.
contract PackingHarness {
    using Packing for NodeLedger;
    using Packing for TaskState;

    uint256 internal _before = type(uint256).max; // guards: a codec bug spilling into a neighbour slot shows
    NodeLedger internal _ledger;
    TaskState internal _state;
    uint256 internal _after = type(uint256).max;

    function setLedgerByFields(NodeLedger memory l) external {
        _ledger = l;
    }

    function setLedgerPacked(NodeLedger memory l) external {
        _ledger.store(l);
    }

    function ledgerByFields() external view returns (NodeLedger memory) {
        return _ledger;
    }

    function ledgerPacked() external view returns (NodeLedger memory) {
        return _ledger.load();
    }

    function setStateByFields(TaskState memory t) external {
        _state = t;
    }

    function setStatePacked(TaskState memory t) external {
        _state.store(t);
    }

    function stateByFields() external view returns (TaskState memory) {
        return _state;
    }

    function statePacked() external view returns (TaskState memory) {
        return _state.load();
    }

    function guards() external view returns (uint256, uint256) {
        return (_before, _after);
    }
}

contract PackingTest is Test {
    PackingHarness internal h;

    function setUp() public {
        h = new PackingHarness();
    }

    function _ledger(uint256 seed) internal pure returns (NodeLedger memory l) {
        l.status = NodeStatus(seed % 4);
        l.score = uint16(seed >> 8);
        l.speed = uint16(seed >> 24);
        l.accepted = uint32(seed >> 40);
        l.rejected = uint24(seed >> 72);
        l.timedOut = uint24(seed >> 96);
        l.tokensServed = uint40(seed >> 120);
        l.rewards = uint96(seed >> 160);
    }

    function _state(uint256 seed, uint256 seed2) internal pure returns (TaskState memory t) {
        t.status = TaskStatus(seed % 7);
        t.committedMask = uint8(seed >> 8);
        t.revealedMask = uint8(seed >> 16);
        t.droppedMask = uint8(seed >> 24);
        t.matchedMask = uint8(seed >> 32);
        t.lead = uint8(seed >> 40);
        t.winner = uint8(seed >> 48);
        t.retries = uint8(seed >> 56);
        t.attestations = uint8(seed >> 64);
        t.redundancy = uint8(seed >> 72);
        t.maxTokens = uint24(seed >> 80);
        t.leadTokens = uint24(seed >> 104);
        t.deadline = uint40(seed >> 128);
        t.assignedAt = uint32(seed >> 168);
        t.commitDelays = uint56(seed2);
    }

    function _assertLedger(NodeLedger memory a, NodeLedger memory b) internal pure {
        assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(b)));
    }

    function _assertState(TaskState memory a, TaskState memory b) internal pure {
        assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(b)));
    }

    function _assertGuards() internal view {
        (uint256 before, uint256 after_) = h.guards();
        assertEq(before, type(uint256).max);
        assertEq(after_, type(uint256).max);
    }

    function testFuzz_packing_ledgerFieldsThenLoad(uint256 seed) public {
        NodeLedger memory l = _ledger(seed);
        h.setLedgerByFields(l);
        _assertLedger(h.ledgerPacked(), l);
    }

    function testFuzz_packing_ledgerStoreThenFields(uint256 seed) public {
        NodeLedger memory l = _ledger(seed);
        h.setLedgerPacked(l);
        _assertLedger(h.ledgerByFields(), l);
        _assertGuards();
    }

    function testFuzz_packing_stateFieldsThenLoad(uint256 seed, uint256 seed2) public {
        TaskState memory t = _state(seed, seed2);
        h.setStateByFields(t);
        _assertState(h.statePacked(), t);
    }

    function testFuzz_packing_stateStoreThenFields(uint256 seed, uint256 seed2) public {
        TaskState memory t = _state(seed, seed2);
        h.setStatePacked(t);
        _assertState(h.stateByFields(), t);
        _assertGuards();
    }

    function test_packing_extremesRoundTrip() public {
        NodeLedger memory l = _ledger(type(uint256).max);
        l.status = NodeStatus.Exiting;
        h.setLedgerPacked(l);
        _assertLedger(h.ledgerByFields(), l);
        TaskState memory t = _state(type(uint256).max, type(uint256).max);
        t.status = TaskStatus.Failed;
        h.setStatePacked(t);
        _assertState(h.stateByFields(), t);
        _assertGuards();
    }
}
