// nanopb glue shared by the orchestrator and worker codecs.
#include "shared/nanopb_glue.h"

namespace shared::pbglue {

bool encode_bytes_cb(pb_ostream_t* stream, const pb_field_t* field, void* const* arg) {
    const auto* value = static_cast<const ByteView*>(*arg);
    if (value->empty()) return true;  // proto3: an empty bytes field is not written
    return pb_encode_tag_for_field(stream, field) &&
           pb_encode_string(stream, value->data(), value->size());
}

bool encode_bytes_list_cb(pb_ostream_t* stream, const pb_field_t* field, void* const* arg) {
    const auto* values = static_cast<const std::vector<Bytes>*>(*arg);
    for (const Bytes& value : *values) {
        if (!pb_encode_tag_for_field(stream, field) ||
            !pb_encode_string(stream, value.data(), value.size())) {
            return false;
        }
    }
    return true;
}

bool decode_bytes_cb(pb_istream_t* stream, const pb_field_t* field, void** arg) {
    auto* sink = static_cast<BytesSink*>(*arg);
    const std::size_t size = stream->bytes_left;
    if (size > sink->max_size) {
        sink->error = "field " + std::to_string(field->tag) + " holds " + std::to_string(size) +
                      " bytes, more than the " + std::to_string(sink->max_size) + " allowed";
        return false;
    }
    if (sink->singular) sink->out->clear();
    if (sink->out->size() >= sink->max_count) {
        sink->error = "field " + std::to_string(field->tag) + " repeats more than " +
                      std::to_string(sink->max_count) + " times";
        return false;
    }
    Bytes value(size);
    if (size > 0 && !pb_read(stream, value.data(), size)) return false;
    sink->out->push_back(std::move(value));
    return true;
}

void set_encode(pb_callback_t& cb, const ByteView* value) {
    cb.funcs.encode = &encode_bytes_cb;
    cb.arg = const_cast<ByteView*>(value);
}

void set_encode(pb_callback_t& cb, const std::vector<Bytes>* values) {
    cb.funcs.encode = &encode_bytes_list_cb;
    cb.arg = const_cast<std::vector<Bytes>*>(values);
}

void set_decode(pb_callback_t& cb, BytesSink* sink) {
    cb.funcs.decode = &decode_bytes_cb;
    cb.arg = sink;
}

Expected<Bytes> encode_message(const pb_msgdesc_t* fields, const void* message) {
    std::size_t size = 0;
    if (!pb_get_encoded_size(&size, fields, message)) return fail("message cannot be sized");
    Bytes out(size);
    pb_ostream_t stream = pb_ostream_from_buffer(out.data(), out.size());
    if (!pb_encode(&stream, fields, message)) {
        return fail(std::string("encoding failed: ") + PB_GET_ERROR(&stream));
    }
    out.resize(stream.bytes_written);
    return out;
}

Status decode_message(const pb_msgdesc_t* fields, void* message, ByteView bytes) {
    pb_istream_t stream = pb_istream_from_buffer(bytes.data(), bytes.size());
    if (!pb_decode(&stream, fields, message)) {
        return fail(std::string("malformed protobuf: ") + PB_GET_ERROR(&stream));
    }
    return Ok{};
}

}  // namespace shared::pbglue
