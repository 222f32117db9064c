// Binary SHA-256 Merkle trees over power-of-two leaf counts, with paths.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "shared/stark/hash.h"

namespace shared::stark {

class MerkleTree {
public:
    // leaf_hashes.size() must be a power of two; the levels above are hashed
    // with up to `threads` threads.
    MerkleTree(std::vector<Digest> leaf_hashes, unsigned threads);

    const Digest& root() const { return nodes_[1]; }
    unsigned depth() const { return depth_; }
    // The siblings from the leaf's level up to just below the root.
    void append_path(std::size_t leaf, std::vector<Digest>& out) const;

private:
    unsigned depth_ = 0;
    // Heap order: nodes_[1] is the root, the leaves sit at [2^depth, 2^(depth+1)).
    std::vector<Digest> nodes_;
};

// True when leaf_hash at position index, with these siblings, hashes up to root.
bool verify_path(const Digest& root, Digest leaf_hash, std::size_t index,
                 std::span<const Digest> siblings);

}  // namespace shared::stark
