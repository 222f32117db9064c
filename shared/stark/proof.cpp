// Byte format of fib_input_initial proofs: fixed-size fields in a fixed order.
#include "shared/stark/proof.h"

#include <algorithm>
#include <string>

namespace shared::stark {
namespace {

class Writer {
public:
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u32(std::uint32_t v) { le(v, 4); }
    void u64(std::uint64_t v) { le(v, 8); }
    void fp(Fp v) { le(v.v, 8); }
    void ext(Fp2 v) { fp(v.c0); fp(v.c1); }
    void digest(const Digest& d) { out_.insert(out_.end(), d.begin(), d.end()); }
    void digests(const std::vector<Digest>& ds) { for (const auto& d : ds) digest(d); }
    std::vector<std::uint8_t> take() { return std::move(out_); }

private:
    void le(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    std::vector<std::uint8_t> out_;
};

// Every read is bounds-checked; the first failure sticks and later reads return zeros.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == in_.size(); }
    const char* error() const { return error_; }

    std::uint64_t le(std::size_t bytes) {
        if (!ok_ || in_.size() - pos_ < bytes) return fail("proof is truncated");
        std::uint64_t v = 0;
        for (std::size_t i = bytes; i-- > 0;) v = (v << 8) | in_[pos_ + i];
        pos_ += bytes;
        return v;
    }
    Fp fp() {
        const std::uint64_t v = le(8);
        if (v >= kModulus) fail("proof holds a non-canonical field element");
        return Fp::raw(ok_ ? v : 0);
    }
    Fp2 ext() {
        const Fp a = fp();
        return {a, fp()};
    }
    Digest digest() {
        Digest d{};
        if (!ok_ || in_.size() - pos_ < d.size()) return fail("proof is truncated"), d;
        std::copy_n(in_.begin() + static_cast<long>(pos_), d.size(), d.begin());
        pos_ += d.size();
        return d;
    }
    std::vector<Digest> digests(std::size_t count) {
        std::vector<Digest> out(count);
        for (auto& d : out) d = digest();
        return out;
    }

private:
    std::uint64_t fail(const char* why) {
        if (ok_) error_ = why;
        ok_ = false;
        return 0;
    }
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
    const char* error_ = "";
};

void write_query(Writer& w, const QueryOpening& q) {
    for (Fp v : q.trace_rows) w.fp(v);
    w.digests(q.trace_path);
    for (Fp2 v : q.comp_rows) w.ext(v);
    w.digests(q.comp_path);
    for (std::size_t l = 0; l < q.layer_values.size(); ++l) {
        for (Fp2 v : q.layer_values[l]) w.ext(v);
        w.digests(q.layer_paths[l]);
    }
}

QueryOpening read_query(Reader& r, const Layout& layout) {
    QueryOpening q;
    q.trace_rows.resize(kFold * kColumns);
    for (Fp& v : q.trace_rows) v = r.fp();
    q.trace_path = r.digests(layout.query_depth());
    q.comp_rows.resize(kFold * kSegments);
    for (Fp2& v : q.comp_rows) v = r.ext();
    q.comp_path = r.digests(layout.query_depth());
    for (unsigned layer = 1; layer < layout.folds; ++layer) {
        std::array<Fp2, kFold> values;
        for (Fp2& v : values) v = r.ext();
        q.layer_values.push_back(values);
        q.layer_paths.push_back(r.digests(layout.layer_depth(layer)));
    }
    return q;
}

}  // namespace

std::vector<std::uint8_t> serialize(const Proof& p) {
    Writer w;
    w.u8(kProofVersion);
    w.u32(p.output);
    w.digest(p.trace_root);
    w.digest(p.comp_root);
    for (Fp2 v : p.ood) w.ext(v);
    w.digests(p.layer_roots);
    for (Fp2 v : p.final_poly) w.ext(v);
    w.u64(p.nonce);
    for (const auto& q : p.queries) write_query(w, q);
    return w.take();
}

std::optional<std::uint32_t> peek_output(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 5) return std::nullopt;
    return static_cast<std::uint32_t>(bytes[1]) | static_cast<std::uint32_t>(bytes[2]) << 8 |
           static_cast<std::uint32_t>(bytes[3]) << 16 | static_cast<std::uint32_t>(bytes[4]) << 24;
}

Expected<Proof> parse(std::span<const std::uint8_t> bytes, const Layout& layout) {
    if (bytes.empty()) return fail("proof is empty");
    if (bytes[0] != kProofVersion) return fail("unsupported proof version " + std::to_string(bytes[0]));
    if (bytes.size() != layout.proof_size) {
        return fail("proof is " + std::to_string(bytes.size()) + " bytes, expected " +
                    std::to_string(layout.proof_size) + " for this input");
    }
    Reader r(bytes);
    r.le(1);
    Proof p;
    p.output = static_cast<std::uint32_t>(r.le(4));
    p.trace_root = r.digest();
    p.comp_root = r.digest();
    p.ood.resize(kDeepTerms);
    for (Fp2& v : p.ood) v = r.ext();
    p.layer_roots = r.digests(layout.folds - 1);
    p.final_poly.resize(layout.final_degree);
    for (Fp2& v : p.final_poly) v = r.ext();
    p.nonce = r.le(8);
    for (unsigned i = 0; i < kQueries && r.ok(); ++i) p.queries.push_back(read_query(r, layout));
    if (!r.ok()) return fail(r.error());
    if (!r.at_end()) return fail("proof has trailing bytes");
    return p;
}

}  // namespace shared::stark
