// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CORToken} from "../../contracts/CORToken.sol";
import {CorNetwork} from "../../contracts/CorNetwork.sol";
import {CorRegistry} from "../../contracts/CorRegistry.sol";
import {ICorNetwork} from "../../contracts/interfaces/ICorNetwork.sol";
import {Params} from "../../contracts/types/Types.sol";

/// @title Deploy
/// @notice The one way COR network is deployed, shared by the forge scripts and the tests.
library Deploy {
    uint256 internal constant SUPPLY = 1_000_000_000 ether; // 1e9 COR

    /// @notice Defaults for a local network (seconds-scale windows are per session, not here).
    function defaultParams() internal pure returns (Params memory) {
        return Params({
            minStakeMiner: 100 ether,
            minStakeRouter: 100 ether,
            unstakeCooldown: 1 hours,
            minStakeValidator: 100 ether,
            protocolFeeBps: 200,
            validatorFeeBps: 300,
            routerFeeBps: 100,
            rejectSlashBps: 1000,
            withholdSlashBps: 1000,
            validatorSlashBps: 1000,
            attestDeviationBps: 1000,
            auditBps: 1000,
            embeddingBarBps: 8000,
            replayBarBps: 9000,
            minPricePerToken: 1e9,
            // 100 COR miner stake / 8: pumping a fresh node to reputation 9000 costs ~1.6x the minimum stake.
            reputationFeeUnit: 12.5 ether,
            minQuorum: 1,
            maxRetryLimit: 3
        });
    }

    /// @notice A public chain: quorum of at least 3 staked validators, fewer retries. Everything else as local;
    /// session windows (minutes on a public chain) are per session.
    function publicParams() internal pure returns (Params memory p) {
        p = defaultParams();
        p.minQuorum = 3;
        p.maxRetryLimit = 2;
    }

    /// @notice Deploys the COR token (whole supply to `holder`), the registry code and the network.
    function deploy(address owner, address holder, Params memory params)
        internal
        returns (CORToken token, ICorNetwork network)
    {
        token = new CORToken(holder, SUPPLY);
        CorRegistry registry = new CorRegistry(address(token));
        network = ICorNetwork(address(new CorNetwork(address(token), owner, params, address(registry))));
    }
}
