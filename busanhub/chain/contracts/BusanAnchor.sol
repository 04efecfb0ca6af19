// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title BusanAnchor: Merkle roots of BusanHub's record digests, anchored once each.
/// @notice Leaves are OpenZeppelin StandardMerkleTree leaves of one bytes32 digest:
///         keccak256(bytes.concat(keccak256(abi.encode(digest)))).
contract BusanAnchor {
    event Anchored(bytes32 indexed root, uint256 leafCount, address indexed anchorer);
    event AnchorerGranted(address indexed who);
    event AnchorerRevoked(address indexed who);

    error NotOwner();
    error NotAnchorer();
    error AlreadyAnchored(bytes32 root);
    error EmptyRoot();
    error EmptyBatch();

    address public immutable owner;
    mapping(address => bool) public isAnchorer;
    mapping(bytes32 => uint256) private _anchoredAt;

    constructor() {
        owner = msg.sender;
        isAnchorer[msg.sender] = true;
        emit AnchorerGranted(msg.sender);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice Records `root` (a batch of `leafCount` digests) with this block's timestamp.
    function anchor(bytes32 root, uint256 leafCount) external {
        if (!isAnchorer[msg.sender]) revert NotAnchorer();
        if (root == bytes32(0)) revert EmptyRoot();
        if (leafCount == 0) revert EmptyBatch();
        if (_anchoredAt[root] != 0) revert AlreadyAnchored(root);
        _anchoredAt[root] = block.timestamp;
        emit Anchored(root, leafCount, msg.sender);
    }

    /// @notice The block timestamp at which `root` was anchored, 0 if never.
    function anchoredAt(bytes32 root) external view returns (uint256) {
        return _anchoredAt[root];
    }

    /// @notice True when `digest` is a leaf of `root` by `proof` and `root` is anchored here.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 digest) external view returns (bool) {
        if (_anchoredAt[root] == 0) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(digest))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    function grantAnchorer(address who) external onlyOwner {
        isAnchorer[who] = true;
        emit AnchorerGranted(who);
    }

    function revokeAnchorer(address who) external onlyOwner {
        isAnchorer[who] = false;
        emit AnchorerRevoked(who);
    }
}
