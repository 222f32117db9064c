// The run-time choice of Argon2's fill kernel from the CPU's features and PROVENODE_ARGON2.
#include "shared/argon2/isa.h"

#include <array>
#include <cstdlib>
#include <string>

namespace shared::argon2 {
namespace {

constexpr std::array kAll{Isa::Portable, Isa::Avx2, Isa::Avx512};

std::string known_names() {
    std::string names;
    for (Isa isa : kAll) names += (names.empty() ? "" : ", ") + std::string(isa_name(isa));
    return names;
}

std::string_view isa_feature(Isa isa) {
    switch (isa) {
        case Isa::Portable: return "nothing";
        case Isa::Avx2: return "AVX2";
        case Isa::Avx512: return "AVX-512F";
    }
    return "?";
}

}  // namespace

std::string_view isa_name(Isa isa) {
    switch (isa) {
        case Isa::Portable: return "portable";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "?";
}

bool cpu_supports(Isa isa) {
    switch (isa) {
        case Isa::Portable: return true;
#if defined(PROVENODE_ARGON2_X86)
        // libgcc's checks include the OS's XSAVE state (XCR0) for the wide registers.
        case Isa::Avx2: return __builtin_cpu_supports("avx2");
        case Isa::Avx512: return __builtin_cpu_supports("avx512f");
#else
        case Isa::Avx2:
        case Isa::Avx512: return false;
#endif
    }
    return false;
}

Expected<Isa> choose_isa(std::string_view forced, bool (*supported)(Isa)) {
    if (forced.empty()) {
        for (auto it = kAll.rbegin(); it != kAll.rend(); ++it) {
            if (supported(*it)) return *it;
        }
        return Isa::Portable;
    }
    for (Isa isa : kAll) {
        if (forced != isa_name(isa)) continue;
        if (!supported(isa)) {
            return fail(std::string(kIsaVariable) + "=" + std::string(forced) + " asks for " +
                        std::string(isa_feature(isa)) + ", which this CPU or build lacks");
        }
        return isa;
    }
    return fail(std::string(kIsaVariable) + "=" + std::string(forced) + " is not a kernel (known: " +
                known_names() + ")");
}

Expected<Isa> isa_from_environment() {
    const char* forced = std::getenv(kIsaVariable);
    return choose_isa(forced == nullptr ? "" : forced);
}

const Expected<Isa>& configured_isa() {
    static const Expected<Isa> isa = isa_from_environment();
    return isa;
}

}  // namespace shared::argon2
