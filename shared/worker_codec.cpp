// The supervisor-worker frames: C++ values to nanopb Envelopes and back.
#include "shared/worker_codec.h"

#include <memory>

#include "shared/bounds.h"
#include "shared/nanopb_glue.h"
#include "worker.pb.h"

namespace shared::wire {

namespace pb = pbglue;

namespace {

Error too_long(std::string_view field) { return fail(std::string(field) + " exceeds its bound"); }

struct Encoder {
    provenode_worker_Envelope& env;

    Status operator()(const Hello& m) {
        env.has_hello = true;
        env.hello.pid = m.pid;
        env.hello.worker_index = m.worker_index;
        env.hello.hardware_threads = m.hardware_threads;
        if (!pb::put_string(env.hello.version, m.version)) return too_long("hello.version");
        return Ok{};
    }
    Status operator()(const Assign& m) {
        env.has_assign = true;
        auto& a = env.assign;
        if (!pb::put_string(a.task_id, m.task_id)) return too_long("assign.task_id");
        if (!pb::put_string(a.program_id, m.program_id)) return too_long("assign.program_id");
        if (m.inputs.size() > kMaxInputs) return too_long("assign.inputs");
        for (const Bytes& input : m.inputs) {
            if (!pb::put_bytes(a.inputs[a.inputs_count++], input)) return too_long("assign.inputs entry");
        }
        a.threads = m.threads;
        a.attempt = m.attempt;
        a.dispatch_id = m.dispatch_id;
        return Ok{};
    }
    Status operator()(const Heartbeat& m) {
        env.has_heartbeat = true;
        if (!pb::put_string(env.heartbeat.task_id, m.task_id)) return too_long("heartbeat.task_id");
        env.heartbeat.rss_bytes = m.rss_bytes;
        env.heartbeat.peak_rss_bytes = m.peak_rss_bytes;
        env.heartbeat.proofs_done = m.proofs_done;
        env.heartbeat.assigns_received = m.assigns_received;
        return Ok{};
    }
    Status operator()(const Result& m) {
        env.has_result = true;
        auto& r = env.result;
        if (!pb::put_string(r.task_id, m.task_id)) return too_long("result.task_id");
        if (m.proofs.size() > kMaxInputs || m.proof_micros.size() > kMaxInputs) return too_long("result.proofs");
        for (const Bytes& proof : m.proofs) {
            if (proof.size() > kMaxProofBytes) return too_long("result.proofs entry");
        }
        pb::set_encode(r.proofs, &m.proofs);
        for (std::uint64_t micros : m.proof_micros) r.proof_micros[r.proof_micros_count++] = micros;
        r.peak_rss_bytes = m.peak_rss_bytes;
        r.total_micros = m.total_micros;
        r.threads_used = m.threads_used;
        r.dispatch_id = m.dispatch_id;
        return Ok{};
    }
    Status operator()(const Failure& m) {
        env.has_failure = true;
        auto& f = env.failure;
        if (!pb::put_string(f.task_id, m.task_id)) return too_long("failure.task_id");
        pb::put_enum(f.kind, static_cast<int>(m.kind));
        // A long message is cut rather than lost: it is only for people.
        std::string_view text(m.message);
        if (!pb::put_string(f.message, text.substr(0, sizeof(f.message) - 1))) return too_long("failure.message");
        f.input_index = m.input_index;
        f.dispatch_id = m.dispatch_id;
        return Ok{};
    }
    Status operator()(const Shutdown&) {
        env.has_shutdown = true;
        return Ok{};
    }
};

int body_count(const provenode_worker_Envelope& env) {
    return env.has_hello + env.has_assign + env.has_heartbeat + env.has_result + env.has_failure +
           env.has_shutdown;
}

Assign from_pb(const provenode_worker_Assign& a) {
    Assign out;
    out.task_id = pb::get_string(a.task_id);
    out.program_id = pb::get_string(a.program_id);
    for (pb_size_t i = 0; i < a.inputs_count && i < kMaxInputs; ++i) out.inputs.push_back(pb::get_bytes(a.inputs[i]));
    out.threads = a.threads;
    out.attempt = a.attempt;
    out.dispatch_id = a.dispatch_id;
    return out;
}

Expected<Message> from_pb(const provenode_worker_Envelope& env, std::vector<Bytes>&& proofs) {
    if (env.has_hello) {
        return Message{Hello{env.hello.pid, env.hello.worker_index, env.hello.hardware_threads,
                             pb::get_string(env.hello.version)}};
    }
    if (env.has_assign) return Message{from_pb(env.assign)};
    if (env.has_heartbeat) {
        const auto& h = env.heartbeat;
        return Message{
            Heartbeat{pb::get_string(h.task_id), h.rss_bytes, h.peak_rss_bytes, h.proofs_done, h.assigns_received}};
    }
    if (env.has_result) {
        const auto& r = env.result;
        Result out{pb::get_string(r.task_id), std::move(proofs), {}, r.peak_rss_bytes, r.total_micros, r.threads_used};
        out.proof_micros.assign(r.proof_micros, r.proof_micros + std::min<pb_size_t>(r.proof_micros_count, kMaxInputs));
        out.dispatch_id = r.dispatch_id;
        return Message{std::move(out)};
    }
    if (env.has_failure) {
        const auto& f = env.failure;
        const int kind = pb::get_enum(f.kind);
        if (kind < 0 || kind > 3) return fail("failure.kind " + std::to_string(kind) + " is unknown");
        return Message{Failure{pb::get_string(f.task_id), static_cast<FailureKind>(kind),
                               pb::get_string(f.message), f.input_index, f.dispatch_id}};
    }
    return Message{Shutdown{}};
}

}  // namespace

Expected<Bytes> encode(const Message& message) {
    auto env = std::make_unique<provenode_worker_Envelope>();
    env->protocol_version = kProtocolVersion;
    if (Status s = std::visit(Encoder{*env}, message); !s) return fail(s.error());
    return pb::encode_message(provenode_worker_Envelope_fields, env.get());
}

Expected<Message> decode(ByteView frame) {
    auto env = std::make_unique<provenode_worker_Envelope>();
    std::vector<Bytes> proofs;
    pb::BytesSink sink{&proofs, kMaxInputs, kMaxProofBytes, false, {}};
    pb::set_decode(env->result.proofs, &sink);
    if (Status s = pb::decode_message(provenode_worker_Envelope_fields, env.get(), frame); !s) {
        return fail(sink.error.empty() ? s.error() : sink.error);
    }
    if (env->protocol_version != kProtocolVersion) {
        return fail("protocol version " + std::to_string(env->protocol_version) + ", expected " +
                    std::to_string(kProtocolVersion));
    }
    if (int n = body_count(*env); n != 1) {
        return fail("frame carries " + std::to_string(n) + " bodies, expected exactly one");
    }
    return from_pb(*env, std::move(proofs));
}

}  // namespace shared::wire
