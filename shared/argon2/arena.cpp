// Maps, pre-faults and unmaps Argon2 arenas (mmap, madvise).
#include "shared/argon2/arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace shared::argon2 {
namespace {

std::uint64_t round_up(std::uint64_t value, std::uint64_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

std::string describe(std::uint64_t bytes) {
    return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

Error map_error(const char* step, std::uint64_t bytes, int error) {
    return fail("cannot " + std::string(step) + " " + describe(bytes) + " of Argon2 memory: " + std::strerror(error));
}

// A mapping of `bytes` that starts on a huge-page boundary, so that every 2 MiB
// of it can be one huge page: over-map by 2 MiB and unmap the ends.
void* map_aligned(std::uint64_t bytes) {
    const std::uint64_t padded = bytes + kHugePageBytes;
    void* raw = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return MAP_FAILED;
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(start, kHugePageBytes);
    if (aligned > start) ::munmap(raw, aligned - start);
    const std::uintptr_t end = start + padded;
    if (end > aligned + bytes) ::munmap(reinterpret_cast<void*>(aligned + bytes), end - (aligned + bytes));
    return reinterpret_cast<void*>(aligned);
}

// Faults every page in now. MADV_POPULATE_WRITE (Linux 5.14) does it in one
// call and reports ENOMEM instead of a SIGBUS; older kernels get a write per page.
bool populate(void* base, std::uint64_t bytes, int& error) {
    if (::madvise(base, bytes, MADV_POPULATE_WRITE) == 0) return true;
    if (errno != EINVAL) {
        error = errno;
        return false;
    }
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    auto* bytes_ptr = static_cast<volatile char*>(base);
    for (std::uint64_t offset = 0; offset < bytes; offset += page) bytes_ptr[offset] = 0;
    return true;
}

}  // namespace

Expected<Arena> Arena::map(std::uint64_t blocks, Pages pages) {
    if (blocks == 0) return fail("an Argon2 arena needs at least one block");
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    // Only whole pages are mapped: with huge pages the start is aligned, and a
    // tail shorter than 2 MiB is left to small pages rather than padded.
    const std::uint64_t bytes = round_up(blocks * kBlockBytes, page);
    void* base = pages == Pages::Huge
                     ? map_aligned(bytes)
                     : ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return map_error("map", bytes, errno);
    // Advice before the first touch: the kind of page is chosen at fault time.
    // It is only advice (THP may be off), so its failure is not an error.
    ::madvise(base, bytes, pages == Pages::Huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    int error = 0;
    if (!populate(base, bytes, error)) {
        ::munmap(base, bytes);
        return map_error("populate", bytes, error);
    }
    return Arena(static_cast<Block*>(base), blocks, bytes, pages);
}

Arena::Arena(Arena&& other) noexcept
    : blocks_(std::exchange(other.blocks_, nullptr)),
      block_count_(std::exchange(other.block_count_, 0)),
      mapped_bytes_(std::exchange(other.mapped_bytes_, 0)),
      pages_(other.pages_) {}

Arena& Arena::operator=(Arena&& other) noexcept {
    if (this != &other) {
        unmap();
        blocks_ = std::exchange(other.blocks_, nullptr);
        block_count_ = std::exchange(other.block_count_, 0);
        mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
        pages_ = other.pages_;
    }
    return *this;
}

Arena::~Arena() {
    unmap();
}

void Arena::unmap() {
    if (blocks_ != nullptr) ::munmap(blocks_, mapped_bytes_);
    blocks_ = nullptr;
}

}  // namespace shared::argon2
