// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Node, NodeStatus, Offer, Params, Role, SlashReason} from "../types/Types.sol";

/// @title Node registry of COR network
/// @notice Miners, routers and validators stake COR to register. A registration is a node id: an account that
/// exits and registers again gets a new id, so work committed under the old id can never be revealed, attested
/// or paid under the new one. Rewards are credited per node id and pulled by its account.
interface INodeRegistry {
    // ------------------------------------------------------------------ errors
    error AlreadyRegistered(address account, uint32 nodeId);
    error NotRegistered(address account);
    error InvalidRole();
    error StakeBelowMinimum(uint256 stake, uint256 minimum);
    error NoModels();
    error TooManyModels(uint256 count, uint256 max);
    error UnknownModel(bytes32 modelId);
    error ModelAlreadyRegistered(bytes32 modelId);
    error WrongNodeStatus(uint32 nodeId, NodeStatus status);
    error CooldownActive(uint40 until);
    error NotNodeAccount(uint32 nodeId, address caller);
    error NothingToWithdraw();
    error ZeroAmount();
    error ParamOutOfRange(string name, uint256 value, uint256 cap);
    /// @notice The node still has `open` assignments or attestations that could be slashed.
    error StakeLocked(uint32 nodeId, uint16 open);
    /// @notice Ownership is two-step and can never be renounced.
    error RenounceDisabled();

    // ------------------------------------------------------------------ events
    /// @notice A model id (sha256 of its GGUF file, by convention) can now be served and used by sessions.
    event ModelRegistered(bytes32 indexed modelId, string name, string uri);
    /// @notice `endpoint` is only in this event, never in storage.
    event NodeRegistered(
        uint32 indexed nodeId,
        address indexed account,
        Role role,
        uint96 stake,
        bytes32[] models,
        bytes32 encryptionKey,
        string endpoint,
        uint16 score,
        Offer offer
    );
    event NodeUpdated(uint32 indexed nodeId, bytes32 encryptionKey, string endpoint);
    /// @notice A miner changed the work it consents to (see Offer).
    event OfferUpdated(uint32 indexed nodeId, Offer offer);
    event ModelsUpdated(uint32 indexed nodeId, bytes32[] added, bytes32[] removed);
    event StakeAdded(uint32 indexed nodeId, uint96 amount, uint96 stake);
    event ExitRequested(uint32 indexed nodeId, uint40 until);
    event NodeUnregistered(uint32 indexed nodeId, address indexed account, uint96 stakeReturned);
    event NodeJailed(uint32 indexed nodeId, uint40 until);
    event NodeUnjailed(uint32 indexed nodeId);
    event NodeSlashed(
        uint32 indexed nodeId,
        uint256 indexed taskId,
        SlashReason reason,
        uint96 amount,
        uint96 stake,
        NodeStatus status
    );
    event RewardsWithdrawn(uint32 indexed nodeId, address indexed account, uint96 amount);
    event ParamsUpdated(Params params);
    event ProtocolFeesWithdrawn(address indexed to, uint256 amount);

    // ------------------------------------------------------------------ models (owner)
    /// @notice Adds a model to the catalog. Reverts ModelAlreadyRegistered.
    function registerModel(bytes32 modelId, string calldata name, string calldata uri) external;

    // ------------------------------------------------------------------ node lifecycle
    /// @notice Registers the caller as a node, pulling `stake` COR (approve first).
    /// @param models Model ids served (miners: 1..16, each registered; others: may be empty).
    /// @param encryptionKey X25519 public key for prompt encryption.
    /// @param endpoint URL where the node is reachable (event only).
    /// @param offer Miners: the work it consents to (min price per token, capacity, assignment modes). Ignored
    /// for routers and validators (stored as given).
    /// @return nodeId The new registration id.
    function register(
        Role role,
        uint96 stake,
        bytes32[] calldata models,
        bytes32 encryptionKey,
        string calldata endpoint,
        Offer calldata offer
    ) external returns (uint32 nodeId);

    /// @notice Replaces the caller's offer. Open assignments keep the terms they were made under.
    function updateOffer(Offer calldata offer) external;

    /// @notice Adds stake. A jailed node whose stake is back at the minimum may then call unjail.
    function addStake(uint96 amount) external;

    function updateModels(bytes32[] calldata added, bytes32[] calldata removed) external;

    function updateNode(bytes32 encryptionKey, string calldata endpoint) external;

    /// @notice Active or Jailed → Exiting. No new work is assigned; committed work may still be revealed.
    function requestExit() external;

    /// @notice Exiting, past the cooldown and with no open assignment or attestation → Unregistered; returns the
    /// stake. Reverts StakeLocked while work that could be slashed is open. Unclaimed rewards stay claimable.
    function withdrawStake() external;

    /// @notice Jailed, past the jail term and staked at least the minimum → Active.
    function unjail() external;

    /// @notice Owner jails a node for `duration` seconds.
    function jail(uint32 nodeId, uint32 duration) external;

    /// @notice Pays a node's unclaimed rewards to its account (the caller).
    function withdrawRewards(uint32 nodeId) external returns (uint96 amount);

    // ------------------------------------------------------------------ governance
    /// @notice Sets every parameter at once; each is checked against its cap and the change is an event.
    function setParams(Params calldata params) external;

    function withdrawProtocolFees(address to) external returns (uint256 amount);

    // ------------------------------------------------------------------ views
    function nodeIdOf(address account) external view returns (uint32);
    function nodeCount() external view returns (uint32);
    function getNode(uint32 nodeId) external view returns (Node memory);
    function servesModel(uint32 nodeId, bytes32 modelId) external view returns (bool);
    function modelRegistered(bytes32 modelId) external view returns (bool);
    function params() external view returns (Params memory);
    function protocolFees() external view returns (uint256);
}
