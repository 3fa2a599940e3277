// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Session, TaskStatus, TaskView} from "../../contracts/types/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {CorNetworkHandler} from "./handlers/CorNetworkHandler.sol";

/// @notice Protocol-wide properties over random sequences of valid calls (see CorNetworkHandler).
contract CorNetworkInvariantTest is BaseTest {
    CorNetworkHandler internal handler;

    function setUp() public override {
        super.setUp();
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
        handler = new CorNetworkHandler(network, token, MODEL, accounts, clients);
        token.transfer(address(handler), 10_000_000 ether);

        bytes4[] memory selectors = new bytes4[](25);
        selectors[0] = CorNetworkHandler.register.selector;
        selectors[1] = CorNetworkHandler.requestExit.selector;
        selectors[2] = CorNetworkHandler.withdrawStake.selector;
        selectors[3] = CorNetworkHandler.unjail.selector;
        selectors[4] = CorNetworkHandler.withdrawRewards.selector;
        selectors[5] = CorNetworkHandler.createSession.selector;
        selectors[6] = CorNetworkHandler.deposit.selector;
        selectors[7] = CorNetworkHandler.withdrawDeposit.selector;
        selectors[8] = CorNetworkHandler.closeSession.selector;
        selectors[9] = CorNetworkHandler.finalize.selector;
        selectors[10] = CorNetworkHandler.expire.selector;
        selectors[11] = CorNetworkHandler.wait.selector;
        // The task path is weighted up: it is where the money moves.
        selectors[12] = CorNetworkHandler.submit.selector;
        selectors[13] = CorNetworkHandler.submit.selector;
        selectors[14] = CorNetworkHandler.assign.selector;
        selectors[15] = CorNetworkHandler.claim.selector;
        selectors[16] = CorNetworkHandler.commit.selector;
        selectors[17] = CorNetworkHandler.commit.selector;
        selectors[18] = CorNetworkHandler.reveal.selector;
        selectors[19] = CorNetworkHandler.reveal.selector;
        selectors[20] = CorNetworkHandler.attest.selector;
        selectors[21] = CorNetworkHandler.advance.selector;
        selectors[22] = CorNetworkHandler.advance.selector;
        selectors[23] = CorNetworkHandler.advance.selector;
        selectors[24] = CorNetworkHandler.advance.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice token.balanceOf(network) == Σ session deposit + escrowed + Σ node stake + rewards + protocol fees.
    function invariant_tokensConserved() public view {
        assertEq(token.balanceOf(address(network)), _owed(network.sessionCount(), network.nodeCount()));
    }

    /// @notice A task that reached Finalized or Failed never leaves it.
    function invariant_terminalTasksStayTerminal() public view {
        uint256[] memory ids = handler.tasks();
        for (uint256 i; i < ids.length; ++i) {
            TaskStatus terminal = handler.ghostTerminal(ids[i]);
            if (terminal == TaskStatus.None) continue;
            assertEq(uint8(network.getTask(ids[i]).status), uint8(terminal));
        }
    }

    /// @notice A miner is accepted (and paid) at most once per task.
    function invariant_minerPaidAtMostOncePerTask() public view {
        assertLe(handler.ghostMaxAcceptedPerTask(), 1);
    }

    /// @notice A session's escrow is exactly what its open tasks hold (R × maxTokens × price each), and deposit +
    /// escrow + what its tasks paid out is exactly what came in minus what went back to the owner.
    function invariant_sessionEscrowMatchesOpenTasks() public view {
        uint32 count = network.sessionCount();
        uint256[] memory held = new uint256[](count + 1);
        uint256[] memory live = handler.live();
        for (uint256 i; i < live.length; ++i) {
            TaskView memory t = network.getTask(live[i]);
            assertTrue(t.status != TaskStatus.Finalized && t.status != TaskStatus.Failed, "live task is open");
            uint256 escrow = t.miners.length * t.maxTokens * network.getSession(t.sessionId).pricePerToken;
            assertEq(t.escrow, escrow, "open task escrow");
            held[t.sessionId] += escrow;
        }
        for (uint32 sessionId = 1; sessionId <= count; ++sessionId) {
            Session memory s = network.getSession(sessionId);
            assertEq(s.escrowed, held[sessionId], "escrowed == sum of open escrows");
            uint256 net = handler.ghostDeposited(sessionId) - handler.ghostWithdrawn(sessionId);
            assertLe(s.escrowed, net, "escrowed <= deposited - withdrawn");
            assertEq(uint256(s.deposit) + s.escrowed + handler.ghostPaid(sessionId), net, "session ledger");
        }
    }
}
