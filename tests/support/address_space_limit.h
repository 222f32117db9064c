// Test helper: caps this process's address space (RLIMIT_AS) for one scope.
#pragma once

#include <doctest.h>

#include <sys/resource.h>

#include <fstream>
#include <string>

namespace test_support {

// The cap is the current virtual size plus `extra_bytes`, so that, for example,
// libsodium's allocation for a huge memlimit fails at once instead of succeeding
// under overcommit. The previous limit is restored at the end of the scope.
class AddressSpaceLimit {
public:
    explicit AddressSpaceLimit(rlim_t extra_bytes) {
        REQUIRE(::getrlimit(RLIMIT_AS, &saved_) == 0);
        std::ifstream status("/proc/self/status");
        std::string key;
        rlim_t vm_kib = 0;
        while (status >> key) {
            if (key == "VmSize:") { status >> vm_kib; break; }
        }
        REQUIRE(vm_kib > 0);
        struct rlimit capped = saved_;
        capped.rlim_cur = vm_kib * 1024 + extra_bytes;
        REQUIRE(::setrlimit(RLIMIT_AS, &capped) == 0);
    }
    ~AddressSpaceLimit() { ::setrlimit(RLIMIT_AS, &saved_); }
    AddressSpaceLimit(const AddressSpaceLimit&) = delete;
    AddressSpaceLimit& operator=(const AddressSpaceLimit&) = delete;

private:
    struct rlimit saved_ {};
};

}  // namespace test_support
