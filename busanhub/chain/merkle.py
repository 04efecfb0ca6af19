"""OpenZeppelin's StandardMerkleTree for one `bytes32` value per leaf, byte for byte.

leaf = keccak256(keccak256(abi.encode(bytes32 value))), leaves sorted, pairs hashed sorted,
the tree laid out as @openzeppelin/merkle-tree lays it out (an array of 2n-1 nodes, the root
at index 0, the sorted leaves from the end), so that roots and proofs equal the npm package's
and OpenZeppelin's MerkleProof.verify accepts them on chain.

No Django imports; stored trees are the concatenation of the 32-byte nodes.
"""

from bisect import bisect_left
from collections.abc import Sequence

try:  # C keccak, about 6x faster than eth-hash's pure dispatch; optional.
    from sha3 import keccak_256 as _keccak_new

    def keccak(data: bytes) -> bytes:
        return _keccak_new(data).digest()

except ImportError:  # pragma: no cover - the stand-alone verifier needs only web3
    from eth_hash.auto import keccak as _eth_keccak

    def keccak(data: bytes) -> bytes:
        return _eth_keccak(data)


NODE = 32


def to_bytes32(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        if len(value) != NODE:
            raise ValueError("a bytes32 value is 32 bytes")
        return value
    text = value[2:] if value.startswith("0x") else value
    raw = bytes.fromhex(text)
    if len(raw) != NODE:
        raise ValueError("a bytes32 value is 64 hex digits")
    return raw


def to_hex(value: bytes) -> str:
    return "0x" + value.hex()


def leaf_hash(value: bytes) -> bytes:
    # abi.encode of a single bytes32 is the 32 bytes themselves.
    return keccak(keccak(value))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


class MerkleTree:
    """A built tree: `nodes[0]` is the root; `nodes[-1 - i]` is the i-th smallest leaf hash."""

    __slots__ = ("nodes", "leaf_count")

    def __init__(self, nodes: list[bytes]):
        if not nodes:
            raise ValueError("a Merkle tree needs at least one leaf")
        self.nodes = nodes
        self.leaf_count = (len(nodes) + 1) // 2

    @classmethod
    def from_values(cls, values: Sequence[bytes]) -> "MerkleTree":
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        leaves = sorted(leaf_hash(v) for v in values)
        size = 2 * len(leaves) - 1
        nodes: list[bytes] = [b""] * size
        # Sorted leaves fill the array from its end, as in @openzeppelin/merkle-tree.
        nodes[size - len(leaves) :] = leaves[::-1]
        for i in range(size - len(leaves) - 1, -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        return cls(nodes)

    @classmethod
    def from_blob(cls, blob: bytes) -> "MerkleTree":
        if len(blob) % NODE:
            raise ValueError("a stored tree is a whole number of 32-byte nodes")
        return cls([blob[i : i + NODE] for i in range(0, len(blob), NODE)])

    def to_blob(self) -> bytes:
        return b"".join(self.nodes)

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def tree_index(self, value: bytes) -> int:
        return leaf_tree_index(self.to_blob(), leaf_hash(value))

    def proof(self, value: bytes) -> list[bytes]:
        return proof_from_blob(self.to_blob(), leaf_hash(value))


def _node(blob: bytes | memoryview, index: int) -> bytes:
    return bytes(blob[index * NODE : (index + 1) * NODE])


def leaf_tree_index(blob: bytes | memoryview, leaf: bytes) -> int:
    """Index of `leaf` in a stored tree, by binary search over the sorted bottom layer."""
    size = len(blob) // NODE
    count = (size + 1) // 2

    class _Ascending:  # view of the bottom layer in ascending order, without copying it
        def __len__(self) -> int:
            return count

        def __getitem__(self, i: int) -> bytes:
            return _node(blob, size - 1 - i)

    position = bisect_left(_Ascending(), leaf)
    if position >= count or _node(blob, size - 1 - position) != leaf:
        raise KeyError("leaf not in tree")
    return size - 1 - position


def proof_from_blob(blob: bytes | memoryview, leaf: bytes) -> list[bytes]:
    """The sibling path from `leaf` to the root of a stored tree (reads O(log n) nodes)."""
    index = leaf_tree_index(blob, leaf)
    proof = []
    while index > 0:
        sibling = index + 1 if index % 2 else index - 1
        proof.append(_node(blob, sibling))
        index = (index - 1) // 2
    return proof


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """OpenZeppelin MerkleProof.processProof: the root a leaf and its proof lead to."""
    computed = leaf
    for sibling in proof:
        computed = hash_pair(computed, sibling)
    return computed


def verify(root: bytes, value: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf_hash(value), proof) == root
