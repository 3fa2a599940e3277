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
        l.accepted = uint24(seed >> 40);
        l.rejected = uint24(seed >> 64);
        l.timedOut = uint24(seed >> 88);
        l.open = uint16(seed >> 112);
        l.tokensServed = uint32(seed >> 128);
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

    /// @dev Each field alone at its maximum lands exactly on the bits Packing documents (and nowhere else): the
    /// word seen by Solidity's own field layout is the one the codec reads.
    function test_packing_ledgerLayout_matchesDocumentedOffsets() public {
        // status 8 @0 | score 16 @8 | speed 16 @24 | accepted 24 @40 | rejected 24 @64 | timedOut 24 @88
        // | open 16 @112 | tokensServed 32 @128 | rewards 96 @160
        uint256[9] memory offsets = [uint256(0), 8, 24, 40, 64, 88, 112, 128, 160];
        uint256[9] memory widths = [uint256(8), 16, 16, 24, 24, 24, 16, 32, 96];
        for (uint256 f; f < 9; ++f) {
            NodeLedger memory l;
            uint256 max = (1 << widths[f]) - 1;
            if (f == 0) l.status = NodeStatus.Exiting;
            if (f == 1) l.score = uint16(max);
            if (f == 2) l.speed = uint16(max);
            if (f == 3) l.accepted = uint24(max);
            if (f == 4) l.rejected = uint24(max);
            if (f == 5) l.timedOut = uint24(max);
            if (f == 6) l.open = uint16(max);
            if (f == 7) l.tokensServed = uint32(max);
            if (f == 8) l.rewards = uint96(max);
            uint256 value = f == 0 ? uint256(NodeStatus.Exiting) : max;
            h.setLedgerByFields(l);
            assertEq(uint256(vm.load(address(h), bytes32(uint256(1)))), value << offsets[f], "field offset");
            _assertLedger(h.ledgerPacked(), l);
        }
        _assertGuards();
    }

    /// @dev `open` (the stake lock) survives a store that rewrites every neighbour.
    function testFuzz_packing_ledgerOpenIsolated(uint16 open, uint256 seed) public {
        open = uint16(bound(open, 0, type(uint16).max - 1));
        NodeLedger memory l = _ledger(seed);
        l.open = open;
        h.setLedgerPacked(l);
        assertEq(h.ledgerByFields().open, open);
        l.open = uint16(open + 1);
        h.setLedgerPacked(l);
        assertEq(h.ledgerByFields().open, uint16(open + 1));
        assertEq(h.ledgerByFields().rewards, l.rewards);
        assertEq(h.ledgerByFields().tokensServed, l.tokensServed);
        assertEq(h.ledgerByFields().timedOut, l.timedOut);
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
