// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script} from "forge-std/Script.sol";
import {stdJson} from "forge-std/StdJson.sol";

import {CORToken} from "../contracts/CORToken.sol";
import {ICorNetwork} from "../contracts/interfaces/ICorNetwork.sol";
import {Deploy} from "./lib/Deploy.sol";

/// @notice Deploys COR token + network and registers the first model, then writes
/// deployments/<chainId>.json, the one file agents, indexer and SDK read addresses from.
///
/// Env (all optional): OWNER (default: the broadcaster), MODEL_ID (bytes32, default sha256 of
/// stories260K.gguf), MODEL_NAME, MODEL_URI, DEPLOYMENTS_FILE, PARAMS=public (Deploy.publicParams: validator quorum
/// >= 3) instead of the local defaults.
///
///   forge script script/01_DeployCore.s.sol --rpc-url $RPC_URL --broadcast --slow --account deployer
contract DeployCore is Script {
    using stdJson for string;

    bytes32 internal constant STORIES_260K = 0x270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d;

    function run() external returns (CORToken token, ICorNetwork network) {
        vm.startBroadcast();
        (, address sender,) = vm.readCallers();
        address owner = vm.envOr("OWNER", sender);
        bool pub = keccak256(bytes(vm.envOr("PARAMS", string("local")))) == keccak256("public");
        (token, network) = Deploy.deploy(owner, sender, pub ? Deploy.publicParams() : Deploy.defaultParams());
        bytes32 modelId = vm.envOr("MODEL_ID", STORIES_260K);
        string memory modelName = vm.envOr("MODEL_NAME", string("stories260K"));
        string memory modelUri = vm.envOr("MODEL_URI", string("hf:ggml-org/models/tinyllamas/stories260K.gguf"));
        if (owner == sender) network.registerModel(modelId, modelName, modelUri);
        vm.stopBroadcast();

        string memory obj = "deployment";
        obj.serialize("chainId", block.chainid);
        obj.serialize("token", address(token));
        obj.serialize("network", address(network));
        obj.serialize("registry", network.registry());
        obj.serialize("owner", owner);
        obj.serialize("startBlock", block.number);
        obj.serialize("modelId", modelId);
        string memory json = obj.serialize("modelName", modelName);
        string memory file = vm.envOr(
            "DEPLOYMENTS_FILE", string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json")
        );
        vm.writeJson(json, file);
    }
}
