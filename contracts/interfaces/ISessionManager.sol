// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Session, SessionConfig} from "../types/Types.sol";

/// @title Sessions of COR network
/// @notice A session is a client's prepaid account for one model and one configuration. Its deposit is split
/// into a free balance and what open tasks hold in escrow; closing refunds the free balance.
interface ISessionManager {
    // ------------------------------------------------------------------ errors
    error InvalidRedundancy(uint8 redundancy);
    error InvalidQuorum(uint8 quorum);
    error InvalidThreshold(uint16 threshold);
    error PriceBelowFloor(uint96 price, uint96 floor);
    error InvalidRetryLimit(uint8 retryLimit, uint8 max);
    error InvalidSampling();
    error InvalidWindow();
    error InvalidMaxTokens(uint24 maxTokens);
    error InvalidRouter(uint32 nodeId);
    error InvalidDedicatedMiners();
    error UnknownSession(uint256 sessionId);
    error NotSessionOwner(uint256 sessionId, address caller);
    error SessionNotOpen(uint256 sessionId);
    error InsufficientDeposit(uint256 available, uint256 required);

    // ------------------------------------------------------------------ events
    event SessionCreated(
        uint32 indexed sessionId, address indexed owner, bytes32 indexed modelId, SessionConfig config, uint112 deposit
    );
    event SessionDeposited(uint32 indexed sessionId, address indexed from, uint112 amount, uint112 deposit);
    event SessionWithdrawn(uint32 indexed sessionId, uint112 amount, uint112 deposit);
    event SessionClosed(uint32 indexed sessionId, uint112 refund);
    event SubmitterAuthorized(uint32 indexed sessionId, address indexed account, bool allowed);
    event SessionRouterChanged(uint32 indexed sessionId, uint32 routerId);

    // ------------------------------------------------------------------ functions
    /// @notice Opens a session funded with `deposit` COR pulled from the caller (approve first).
    /// Checks: model registered; R 1..7; price >= params.minPricePerToken; retryLimit <= params.maxRetryLimit;
    /// validated modes (Embedding, Replay): quorum odd and params.minQuorum..7; minReputation <= 10000; sampling
    /// (temperature <= 2000, topP <= 10000); windows 1 s..7 days; router; dedicated list.
    function createSession(SessionConfig calldata config, uint112 deposit) external returns (uint32 sessionId);

    /// @notice Anyone may top up an open session.
    function deposit(uint32 sessionId, uint112 amount) external;

    /// @notice Owner withdraws part of the free balance (open or closed session).
    function withdrawDeposit(uint32 sessionId, uint112 amount) external;

    /// @notice Owner closes the session: no new tasks; the free balance is refunded now, escrows of open tasks
    /// return to the free balance when they settle and stay withdrawable.
    function closeSession(uint32 sessionId) external returns (uint112 refund);

    /// @notice Owner lets `account` (e.g. a router acting for web2 clients) submit tasks, or revokes it.
    function authorizeSubmitter(uint32 sessionId, address account, bool allowed) external;

    function setSessionRouter(uint32 sessionId, uint32 routerId) external;

    function getSession(uint32 sessionId) external view returns (Session memory);
    function sessionCount() external view returns (uint32);
    function isSubmitter(uint32 sessionId, address account) external view returns (bool);
}
