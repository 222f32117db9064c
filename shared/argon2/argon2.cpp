// Argon2id around the fill kernels: H0, H', the first blocks, the final block and the tag.
#include "shared/argon2/argon2.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>
#include <vector>

#include "shared/argon2/block.h"

namespace shared::argon2 {
namespace {

constexpr std::size_t kH0Bytes = 64;
constexpr std::uint64_t kMaxLength = std::numeric_limits<std::uint32_t>::max();

std::array<std::uint8_t, 4> le32(std::uint64_t value) {
    std::array<std::uint8_t, 4> bytes{};
    store_le32(bytes.data(), static_cast<std::uint32_t>(value));
    return bytes;
}

// One BLAKE2b of the concatenated parts, `out.size()` bytes (16 to 64).
void blake2b(std::span<std::uint8_t> out, std::span<const ByteView> parts) {
    crypto_generichash_blake2b_state state;
    crypto_generichash_blake2b_init(&state, nullptr, 0, out.size());
    for (ByteView part : parts) crypto_generichash_blake2b_update(&state, part.data(), part.size());
    crypto_generichash_blake2b_final(&state, out.data(), out.size());
}

void blake2b(std::span<std::uint8_t> out, std::initializer_list<ByteView> parts) {
    blake2b(out, std::span<const ByteView>(parts.begin(), parts.size()));
}

// H' (RFC 9106 §3.3): BLAKE2b stretched to any length T of at least 16 bytes,
// of LE32(T) || input. Past 64 bytes it chains 64-byte hashes and keeps the
// first half of each, then ends with one hash of the 33 to 64 bytes left.
void hash_long(std::span<std::uint8_t> out, std::initializer_list<ByteView> input) {
    const auto length = le32(out.size());
    std::vector<ByteView> parts{ByteView(length)};
    parts.insert(parts.end(), input.begin(), input.end());
    if (out.size() <= 64) return blake2b(out, parts);
    std::array<std::uint8_t, 64> v{};
    blake2b(v, parts);
    const std::size_t chained = (out.size() + 31) / 32 - 2;  // r in the RFC
    std::copy_n(v.begin(), 32, out.begin());
    for (std::size_t i = 1; i < chained; ++i) {
        const std::array<std::uint8_t, 64> previous = v;
        blake2b(v, {ByteView(previous)});
        std::copy_n(v.begin(), 32, out.begin() + static_cast<std::ptrdiff_t>(32 * i));
    }
    blake2b(out.subspan(32 * chained), {ByteView(v)});
}

// H0 (RFC 9106 §3.2 step 1): every parameter and input, each length LE32 first.
std::array<std::uint8_t, kH0Bytes> initial_hash(const Params& p, std::size_t tag_bytes) {
    const auto lanes = le32(p.lanes), tag = le32(tag_bytes), memory = le32(p.memory_kib);
    const auto passes = le32(p.passes), version = le32(kVersion), type = le32(kTypeArgon2id);
    const auto password_len = le32(p.password.size()), salt_len = le32(p.salt.size());
    const auto secret_len = le32(p.secret.size()), data_len = le32(p.associated_data.size());
    std::array<std::uint8_t, kH0Bytes> h0{};
    blake2b(h0, {lanes, tag, memory, passes, version, type, password_len, p.password, salt_len, p.salt,
                 secret_len, p.secret, data_len, p.associated_data});
    return h0;
}

void bytes_to_block(const std::uint8_t* bytes, Block& block) {
    for (std::uint32_t k = 0; k < kBlockWords; ++k) block.v[k] = load_le64(bytes + 8 * k);
}

// B[i][0] and B[i][1] of every lane (RFC 9106 §3.2 steps 3 and 4).
void first_blocks(const Instance& instance, const std::array<std::uint8_t, kH0Bytes>& h0) {
    std::array<std::uint8_t, kBlockBytes> bytes{};
    for (std::uint32_t lane = 0; lane < instance.lanes; ++lane) {
        for (std::uint32_t column = 0; column < 2; ++column) {
            hash_long(bytes, {ByteView(h0), le32(column), le32(lane)});
            bytes_to_block(bytes.data(), instance.memory[std::uint64_t{lane} * instance.lane_length + column]);
        }
    }
}

// The tag: H' of the XOR of each lane's last block (RFC 9106 §3.2 steps 7 and 8).
void final_tag(const Instance& instance, std::span<std::uint8_t> tag) {
    Block last = instance.memory[instance.lane_length - 1];
    for (std::uint32_t lane = 1; lane < instance.lanes; ++lane) {
        const Block& other = instance.memory[std::uint64_t{lane} * instance.lane_length + instance.lane_length - 1];
        for (std::uint32_t k = 0; k < kBlockWords; ++k) last.v[k] ^= other.v[k];
    }
    std::array<std::uint8_t, kBlockBytes> bytes{};
    for (std::uint32_t k = 0; k < kBlockWords; ++k) store_le64(bytes.data() + 8 * k, last.v[k]);
    hash_long(tag, {ByteView(bytes)});
}

// hash() has checked cpu_supports(isa) before it gets here.
void fill_memory(const Instance& instance, Isa isa) {
    switch (isa) {
        case Isa::Portable: return fill_memory_portable(instance);
#if defined(PROVENODE_ARGON2_X86)
        case Isa::Avx2: return fill_memory_avx2(instance);
        case Isa::Avx512: return fill_memory_avx512(instance);
#else
        case Isa::Avx2:
        case Isa::Avx512: return fill_memory_portable(instance);  // unreachable: cpu_supports is false
#endif
    }
}

}  // namespace

std::uint64_t memory_blocks(const Params& params) {
    const std::uint64_t per_segment_set = std::uint64_t{kSyncPoints} * std::max(params.lanes, 1u);
    const std::uint64_t blocks = std::max<std::uint64_t>(params.memory_kib, 2 * per_segment_set);
    return blocks / per_segment_set * per_segment_set;
}

std::string check(const Params& params, std::size_t tag_bytes) {
    if (tag_bytes < kMinTagBytes || tag_bytes > kMaxLength) {
        return "tag of " + std::to_string(tag_bytes) + " bytes; Argon2id here gives 16 bytes to 4 GiB";
    }
    if (params.salt.size() < kMinSaltBytes) return "salt of " + std::to_string(params.salt.size()) + " bytes; at least 8";
    for (ByteView input : {params.password, params.salt, params.secret, params.associated_data}) {
        if (input.size() > kMaxLength) return "an input is longer than 4 GiB";
    }
    if (params.passes < 1) return "passes 0; at least 1";
    if (params.lanes < 1 || params.lanes > kMaxLanes) return "lanes " + std::to_string(params.lanes) + "; 1 to 16777215";
    if (params.memory_kib < 8ull * params.lanes) {
        return "memory " + std::to_string(params.memory_kib) + " KiB; at least 8 KiB per lane";
    }
    return {};
}

Status hash(const Params& params, const Arena& arena, std::span<std::uint8_t> tag, Isa isa) {
    if (std::string problem = check(params, tag.size()); !problem.empty()) return fail("Argon2id: " + problem);
    if (!cpu_supports(isa)) return fail("Argon2id: the " + std::string(isa_name(isa)) + " kernel needs a CPU feature this one lacks");
    const std::uint64_t blocks = memory_blocks(params);
    if (arena.block_count() < blocks) {
        return fail("Argon2id: the arena has " + std::to_string(arena.block_count()) + " blocks, the hash needs " +
                    std::to_string(blocks));
    }
    // sodium_init picks libsodium's fastest BLAKE2b for this CPU; once is enough.
    static const bool sodium_ready = sodium_init() >= 0;
    if (!sodium_ready) return fail("Argon2id: libsodium could not be initialised");
    const auto lane_length = static_cast<std::uint32_t>(blocks / params.lanes);
    const Instance instance{arena.blocks(), params.passes, params.lanes, lane_length, lane_length / kSyncPoints,
                            static_cast<std::uint32_t>(blocks)};
    first_blocks(instance, initial_hash(params, tag.size()));
    fill_memory(instance, isa);
    final_tag(instance, tag);
    return Ok{};
}

Status hash(const Params& params, const Arena& arena, std::span<std::uint8_t> tag) {
    const Expected<Isa>& isa = configured_isa();
    if (!isa) return Error{isa.error()};
    return hash(params, arena, tag, *isa);
}

}  // namespace shared::argon2
