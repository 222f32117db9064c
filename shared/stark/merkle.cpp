// Merkle tree construction (level by level, each level in parallel) and path checks.
#include "shared/stark/merkle.h"

#include "shared/stark/parallel.h"

namespace shared::stark {

MerkleTree::MerkleTree(std::vector<Digest> leaf_hashes, unsigned threads) {
    const std::size_t leaves = leaf_hashes.size();
    while ((std::size_t{1} << depth_) < leaves) ++depth_;
    nodes_.resize(2 * leaves);
    std::copy(leaf_hashes.begin(), leaf_hashes.end(), nodes_.begin() + static_cast<long>(leaves));
    leaf_hashes = {};
    if (leaves == 1) nodes_[1] = nodes_[leaves];
    for (std::size_t level = leaves / 2; level >= 1; level /= 2) {
        // Small levels are not worth a thread each.
        const unsigned t = level >= 1024 ? threads : 1;
        parallel_for(t, level, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t i = level + lo; i < level + hi; ++i) {
                nodes_[i] = sha256_pair(nodes_[2 * i], nodes_[2 * i + 1]);
            }
        });
    }
}

void MerkleTree::append_path(std::size_t leaf, std::vector<Digest>& out) const {
    for (std::size_t node = (std::size_t{1} << depth_) + leaf; node > 1; node /= 2) {
        out.push_back(nodes_[node ^ 1]);
    }
}

bool verify_path(const Digest& root, Digest leaf_hash, std::size_t index,
                 std::span<const Digest> siblings) {
    if (siblings.size() < 64 && (index >> siblings.size()) != 0) return false;
    for (const Digest& sibling : siblings) {
        leaf_hash = (index & 1) ? sha256_pair(sibling, leaf_hash) : sha256_pair(leaf_hash, sibling);
        index >>= 1;
    }
    return leaf_hash == root;
}

}  // namespace shared::stark
