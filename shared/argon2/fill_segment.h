// The Argon2id fill pass (RFC 9106 §3.2 steps 5-6, §3.4 indexing), written once over a compression kernel.
//
// Included only by the fill_<isa>.cpp files, each compiled with its own -m flags.
// Everything here has internal linkage on purpose: an inline function with
// external linkage would be emitted by every ISA's translation unit, and the
// linker could keep the AVX-512 copy for the portable path, which would then
// die with SIGILL on a CPU without AVX-512.
#pragma once

#include <cstdint>

#include "shared/argon2/block.h"

namespace shared::argon2 {
namespace {

struct Position {
    std::uint32_t pass;
    std::uint32_t slice;
    std::uint32_t lane;
};

inline void prefetch_block(const Block& block) {
    const char* bytes = reinterpret_cast<const char*>(block.v);
    for (std::uint32_t line = 0; line < kBlockBytes; line += 64) __builtin_prefetch(bytes + line);
}

// The memory offset of the block that block `index` of this segment references,
// from its pseudo-random 64 bits (J1 in the low half, J2 in the high half), as
// RFC 9106 §3.4.2 maps them.
inline std::uint64_t reference_block(const Instance& in, const Position& pos, std::uint32_t index,
                                     std::uint64_t pseudo_rand) {
    std::uint32_t ref_lane = static_cast<std::uint32_t>((pseudo_rand >> 32) % in.lanes);
    if (pos.pass == 0 && pos.slice == 0) ref_lane = pos.lane;  // no other lane has blocks yet
    const bool same_lane = ref_lane == pos.lane;
    // The blocks it may reference: finished segments of the lane (all but the
    // current slice after the first pass), plus, in its own lane, this segment's
    // blocks so far; never the block just before it (its other input).
    std::uint32_t area = pos.pass == 0 ? pos.slice * in.segment_length : in.lane_length - in.segment_length;
    if (same_lane) {
        area += index - 1;
    } else if (index == 0) {
        area -= 1;
    }
    std::uint64_t x = static_cast<std::uint32_t>(pseudo_rand);
    x = (x * x) >> 32;
    const std::uint64_t relative = area - 1 - ((area * x) >> 32);
    const std::uint64_t start =
        (pos.pass == 0 || pos.slice == kSyncPoints - 1) ? 0 : std::uint64_t{pos.slice + 1} * in.segment_length;
    return std::uint64_t{ref_lane} * in.lane_length + (start + relative) % in.lane_length;
}

// Argon2i-style addresses for the data-independent segments (pass 0, slices 0
// and 1 in Argon2id): each block of 128 addresses is G(0, G(0, input)) with a
// counter in the input that starts at 1.
template <class Kernel>
class AddressStream {
public:
    AddressStream(const Instance& in, const Position& pos) {
        input_.v[0] = pos.pass;
        input_.v[1] = pos.lane;
        input_.v[2] = pos.slice;
        input_.v[3] = in.memory_blocks;
        input_.v[4] = in.passes;
        input_.v[5] = kTypeArgon2id;
    }

    // Asked for in increasing order of index, as the segment is filled.
    std::uint64_t at(std::uint32_t index) {
        if (index / kAddressesInBlock != chunk_) refill(index / kAddressesInBlock);
        return addresses_.v[index % kAddressesInBlock];
    }

private:
    void refill(std::uint32_t chunk) {
        chunk_ = chunk;
        ++input_.v[6];
        auto nothing = [](std::uint64_t) {};
        Kernel::compress(zero_, input_, addresses_, false, nothing);
        Kernel::compress(zero_, addresses_, addresses_, false, nothing);
    }

    Block zero_{};
    Block input_{};
    Block addresses_{};
    std::uint32_t chunk_ = ~std::uint32_t{0};
};

// One segment: the blocks of one lane in one slice of one pass. The kernel calls
// back as soon as the new block's first word is final, which is all the next
// block needs to know which block it reads; that block is prefetched then, while
// the kernel finishes, so that the random read overlaps the computation.
template <class Kernel>
void fill_segment(const Instance& in, const Position& pos) {
    const bool data_independent = pos.pass == 0 && pos.slice < kSyncPoints / 2;
    const std::uint32_t first = (pos.pass == 0 && pos.slice == 0) ? 2 : 0;  // blocks 0 and 1 come from H0
    const bool with_xor = pos.pass != 0;  // version 0x13 XORs into the old block after the first pass
    const std::uint64_t lane_start = std::uint64_t{pos.lane} * in.lane_length;
    const std::uint32_t column0 = pos.slice * in.segment_length;
    Block* const memory = in.memory;
    AddressStream<Kernel> addresses(in, pos);

    auto previous_of = [&](std::uint32_t index) {
        const std::uint32_t column = column0 + index;
        return lane_start + (column == 0 ? in.lane_length - 1 : column - 1);
    };
    auto pseudo_rand_of = [&](std::uint32_t index, std::uint64_t previous_first_word) {
        return data_independent ? addresses.at(index) : previous_first_word;
    };

    std::uint64_t ref = reference_block(in, pos, first, pseudo_rand_of(first, memory[previous_of(first)].v[0]));
    for (std::uint32_t i = first; i < in.segment_length; ++i) {
        const std::uint64_t current = lane_start + column0 + i;
        std::uint64_t next_ref = 0;
        auto look_ahead = [&](std::uint64_t first_word) {
            if (i + 1 == in.segment_length) return;
            next_ref = reference_block(in, pos, i + 1, pseudo_rand_of(i + 1, first_word));
            prefetch_block(memory[next_ref]);
        };
        Kernel::compress(memory[previous_of(i)], memory[ref], memory[current], with_xor, look_ahead);
        ref = next_ref;
    }
}

template <class Kernel>
void fill_memory(const Instance& in) {
    for (std::uint32_t pass = 0; pass < in.passes; ++pass) {
        for (std::uint32_t slice = 0; slice < kSyncPoints; ++slice) {
            // Lanes one after another: within a slice no lane reads another's
            // current segment, so this order gives what parallel lanes give.
            for (std::uint32_t lane = 0; lane < in.lanes; ++lane) fill_segment<Kernel>(in, {pass, slice, lane});
        }
    }
}

}  // namespace
}  // namespace shared::argon2
