// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NodeStatus, Params, TaskStatus} from "../../contracts/types/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {CorNetworkHandler} from "./handlers/CorNetworkHandler.sol";
import {CorStorageLens} from "./handlers/CorStorageLens.sol";

/// @notice Protocol-wide properties over random sequences of honest and adversarial calls (see CorNetworkHandler).
/// One campaign checks every property after every call: a campaign per property would multiply the run time by
/// their number. A failure names the property first (`tokensConserved: ...`). The state is read raw
/// (CorStorageLens, verified against the views at setUp) because the views cost more than the calls.
contract CorNetworkInvariantTest is BaseTest, CorStorageLens {
    bytes32 internal constant OTHER_MODEL = keccak256("other-model");

    CorNetworkHandler internal handler;

    function setUp() public override {
        super.setUp();
        vm.prank(owner);
        network.registerModel(OTHER_MODEL, "other", "hf:other");
        address[] memory accounts = new address[](11);
        for (uint256 i; i < 7; ++i) {
            accounts[i] = minerAccounts[i];
        }
        for (uint256 i; i < 3; ++i) {
            accounts[7 + i] = validatorAccounts[i];
        }
        accounts[10] = routerAccount;
        address[] memory clients = new address[](3);
        clients[0] = client;
        clients[1] = makeAddr("client1");
        clients[2] = makeAddr("client2");
        _fund(clients[1], 1_000_000 ether);
        _fund(clients[2], 1_000_000 ether);

        // A short unstake cooldown, so exits complete within the task windows (30..600 s) of a run.
        params.unstakeCooldown = 120;
        _setParams(params);
        handler = new CorNetworkHandler(network, token, MODEL, OTHER_MODEL, owner, accounts, clients);
        token.transfer(address(handler), 10_000_000 ether);
        uint32[] memory dedicated = new uint32[](5);
        for (uint256 i; i < 5; ++i) {
            dedicated[i] = minerIds[i];
        }
        handler.bootstrap(routerId, dedicated);
        _discover(network, handler.tasks()[0]);

        bytes4[] memory selectors = new bytes4[](50);
        uint256 k;
        // Nodes and governance.
        selectors[k++] = CorNetworkHandler.register.selector;
        selectors[k++] = CorNetworkHandler.requestExit.selector;
        selectors[k++] = CorNetworkHandler.withdrawStake.selector;
        selectors[k++] = CorNetworkHandler.withdrawStake.selector;
        selectors[k++] = CorNetworkHandler.unjail.selector;
        selectors[k++] = CorNetworkHandler.withdrawRewards.selector;
        selectors[k++] = CorNetworkHandler.updateOffer.selector;
        selectors[k++] = CorNetworkHandler.updateModels.selector;
        selectors[k++] = CorNetworkHandler.setParams.selector;
        selectors[k++] = CorNetworkHandler.jail.selector;
        selectors[k++] = CorNetworkHandler.withdrawProtocolFees.selector;
        // Sessions.
        selectors[k++] = CorNetworkHandler.createSession.selector;
        selectors[k++] = CorNetworkHandler.deposit.selector;
        selectors[k++] = CorNetworkHandler.withdrawDeposit.selector;
        selectors[k++] = CorNetworkHandler.closeSession.selector;
        selectors[k++] = CorNetworkHandler.setSessionRouter.selector;
        selectors[k++] = CorNetworkHandler.authorizeSubmitter.selector;
        // The task path is weighted up: it is where the money moves. `advance` takes a whole phase step of a task.
        for (uint256 i; i < 5; ++i) {
            selectors[k++] = CorNetworkHandler.submit.selector;
        }
        selectors[k++] = CorNetworkHandler.assign.selector;
        selectors[k++] = CorNetworkHandler.claim.selector;
        selectors[k++] = CorNetworkHandler.commit.selector;
        selectors[k++] = CorNetworkHandler.reveal.selector;
        selectors[k++] = CorNetworkHandler.commitRoot.selector;
        selectors[k++] = CorNetworkHandler.revealRoot.selector;
        selectors[k++] = CorNetworkHandler.attest.selector;
        selectors[k++] = CorNetworkHandler.finalize.selector;
        selectors[k++] = CorNetworkHandler.expire.selector;
        selectors[k++] = CorNetworkHandler.expire.selector;
        selectors[k++] = CorNetworkHandler.wait.selector;
        for (uint256 i; i < 11; ++i) {
            selectors[k++] = CorNetworkHandler.advance.selector;
        }
        // The adversary.
        selectors[k++] = CorNetworkHandler.wrongCaller.selector;
        selectors[k++] = CorNetworkHandler.wrongCaller.selector;
        selectors[k++] = CorNetworkHandler.lateCall.selector;
        selectors[k++] = CorNetworkHandler.lateCall.selector;
        selectors[k++] = CorNetworkHandler.terminalCall.selector;
        selectors[k++] = CorNetworkHandler.terminalCall.selector;
        require(k == selectors.length, "selector count");
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice Every property, after every call:
    /// - tokensConserved: token.balanceOf(network) == Σ session deposit + escrowed + Σ node stake + rewards +
    ///   protocol fees;
    /// - terminal: a task that reached Finalized or Failed never leaves it, settles once (one TaskFinalized /
    ///   TaskFailed) and no event names it afterwards;
    /// - paidOnce: a miner is paid at most once per task; every node's unclaimed rewards are exactly the payouts,
    ///   validator shares and router fees its events announced, less its withdrawals (no second credit, no fee
    ///   paid twice);
    /// - acceptedNeverSlashed: a node that committed and revealed the accepted result is never slashed and is paid
    ///   once; without a verdict (NoMajority, NoQuorum) nobody is slashed for a result and every revealed result
    ///   is paid;
    /// - slashForFault / stakeLedger: stake moves only by registration, top-up, slashes and withdrawal; a slash
    ///   happens exactly for a provable fault (rejected reveal, withheld reveal, deviating attestation), for the
    ///   parameter's share of the stake, never to a node that did not commit / reveal / attest on that task;
    /// - lockedStake: node.open equals its assignments and attestations on open tasks (counted from the slot
    ///   tables); a node with open work is registered, every attempt to withdraw its stake reverted, and what its
    ///   open work can still slash (each slot its share of what is left) never exceeds its stake;
    /// - escrow: a session's escrow is what its open tasks hold (R × maxTokens × price each) and deposit + escrow
    ///   + what its tasks paid is what came in minus what went back to the owner;
    /// - adversary: every adversarial call (wrong caller, late call, call on a terminal task, locked withdrawal,
    ///   out-of-bounds or non-owner governance) reverted.
    function invariant_protocol() public view {
        Report memory report;
        _checkTerminal(report);
        (uint256[] memory open, uint256[] memory held) = _scanOpenTasks(report);
        uint256 owed = _checkNodes(report, open) + _checkSessions(report, held) + network.protocolFees();
        _expect(report, token.balanceOf(address(network)) == owed, "tokensConserved: balance == owed");
        _expect(report, handler.ghostMaxPaidPerTask() <= 1, "paidOnce: a miner paid twice for one task");
        if (handler.violationCount() != 0) report.failed = string.concat(report.failed, handler.violationReport());
        assertEq(bytes(report.failed).length, 0, report.failed);
    }

    /// @notice Call summary of the run (forge test -vv).
    function afterInvariant() external view {
        handler.printSummary();
    }

    /// @dev Every broken property of one check, so that a failure (and a mutant) names all it breaks.
    struct Report {
        string failed;
    }

    function _expect(Report memory report, bool ok, string memory property) internal pure {
        if (!ok) report.failed = string.concat(report.failed, property, "; ");
    }

    /// @dev terminal: a settled task keeps the status it settled to; no other task is Finalized or Failed.
    function _checkTerminal(Report memory report) internal view {
        uint256[] memory ids = handler.tasks();
        for (uint256 i; i < ids.length; ++i) {
            TaskStatus status = _taskStatus(ids[i]);
            TaskStatus terminal = handler.ghostTerminal(ids[i]);
            if (terminal != TaskStatus.None) _expect(report, status == terminal, "terminal: left a final state");
            else _expect(report, status != TaskStatus.Finalized && status != TaskStatus.Failed, "terminal: silent");
        }
    }

    /// @dev Open assignments and attestations per node, and escrow per session, counted from the open tasks.
    function _scanOpenTasks(Report memory report) internal view returns (uint256[] memory open, uint256[] memory held) {
        open = new uint256[](network.nodeCount() + 1);
        held = new uint256[](network.sessionCount() + 1);
        uint256[] memory live = handler.live();
        for (uint256 i; i < live.length; ++i) {
            TaskWord memory t = _taskWord(live[i]);
            _expect(report, t.status != TaskStatus.Finalized && t.status != TaskStatus.Failed, "escrow: live task open");
            uint32 sessionId = uint32(live[i] >> 32);
            held[sessionId] += uint256(t.redundancy) * t.maxTokens * _sessionPrice(sessionId);
            for (uint256 slot; slot < t.redundancy; ++slot) {
                uint32 id = uint32(t.miners >> (32 * slot));
                if (id != 0 && t.droppedMask & (1 << slot) == 0) ++open[id];
            }
            if (t.status != TaskStatus.Validating) continue;
            for (uint256 k; k < t.attestations; ++k) {
                (uint32 validatorId,) = network.getAttestation(live[i], k);
                ++open[validatorId];
            }
        }
    }

    /// @dev lockedStake, stakeLedger, paidOnce per node. Returns Σ stake + rewards.
    function _checkNodes(Report memory report, uint256[] memory open) internal view returns (uint256 owed) {
        Params memory p = network.params();
        uint256 maxBps = p.withholdSlashBps > p.validatorSlashBps ? p.withholdSlashBps : p.validatorSlashBps;
        for (uint32 id = 1; id < open.length; ++id) {
            NodeWord memory n = _nodeWord(id);
            owed += uint256(n.stake) + n.rewards;
            _expect(report, n.open == open[id], "lockedStake: node.open == open assignments + attestations");
            _expect(report, n.stake == handler.ghostStake(id), "stakeLedger: stake == the changes its events announced");
            _expect(
                report, n.rewards == handler.ghostRewards(id), "paidOnce: rewards == the payouts its events announced"
            );
            if (n.status == NodeStatus.Unregistered) {
                _expect(report, n.stake == 0 && n.open == 0, "lockedStake: an ended registration holds stake or work");
            }
            uint256 left = n.stake;
            for (uint256 k; k < n.open; ++k) {
                left -= left * maxBps / 10_000;
            }
            _expect(report, n.stake - left <= n.stake, "lockedStake: slashable <= stake");
        }
    }

    /// @dev escrow per session. Returns Σ deposit + escrowed.
    function _checkSessions(Report memory report, uint256[] memory held) internal view returns (uint256 owed) {
        for (uint32 sessionId = 1; sessionId < held.length; ++sessionId) {
            (uint112 deposit, uint112 escrowed) = _sessionFunds(sessionId);
            owed += uint256(deposit) + escrowed;
            _expect(report, escrowed == held[sessionId], "escrow: escrowed == sum of open escrows");
            uint256 out = uint256(deposit) + escrowed + handler.ghostPaid(sessionId) + handler.ghostWithdrawn(sessionId);
            _expect(
                report, out == handler.ghostDeposited(sessionId), "escrow: deposit + escrow + paid + withdrawn == in"
            );
        }
    }
}
