// Glue between nanopb's C structs and C++ values: bounded string and bytes copies,
// callbacks for the large bytes fields, and whole-message encode and decode.
#pragma once

#include <pb.h>
#include <pb_decode.h>
#include <pb_encode.h>

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "bytes.h"
#include "expected.h"

namespace shared::pbglue {

// Copies `value` into a NUL-terminated char array; false when it does not fit.
template <std::size_t N>
bool put_string(char (&dst)[N], std::string_view value) {
    if (value.size() >= N || value.find('\0') != std::string_view::npos) return false;
    std::memcpy(dst, value.data(), value.size());
    dst[value.size()] = '\0';
    return true;
}

template <std::size_t N>
std::string get_string(const char (&src)[N]) {
    return std::string(src, strnlen(src, N));
}

// nanopb's PB_BYTES_ARRAY_T(N): { pb_size_t size; pb_byte_t bytes[N]; }
template <class BytesArray>
bool put_bytes(BytesArray& dst, ByteView value) {
    if (value.size() > sizeof(dst.bytes)) return false;
    dst.size = static_cast<pb_size_t>(value.size());
    if (!value.empty()) std::memcpy(dst.bytes, value.data(), value.size());
    return true;
}

template <class BytesArray>
Bytes get_bytes(const BytesArray& src) {
    std::size_t n = src.size > sizeof(src.bytes) ? sizeof(src.bytes) : src.size;
    return Bytes(src.bytes, src.bytes + n);
}

// nanopb's enum fields hold whatever int32 the wire carried, but in C++ a load of
// a C enum outside the range of its enumerators is undefined (UBSan: "load of
// value 46, which is not a valid value for type ..."). An unknown value from the
// server must reach the caller intact, so enum fields are read and written as
// the int that nanopb stores there.
template <class Enum>
int get_enum(const Enum& field) {
    static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int));
    int value;
    std::memcpy(&value, &field, sizeof value);
    return value;
}

template <class Enum>
void put_enum(Enum& field, int value) {
    static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int));
    std::memcpy(&field, &value, sizeof value);
}

// Encoding callbacks: arg points at a ByteView, or at a std::vector<Bytes>.
bool encode_bytes_cb(pb_ostream_t* stream, const pb_field_t* field, void* const* arg);
bool encode_bytes_list_cb(pb_ostream_t* stream, const pb_field_t* field, void* const* arg);

// Decoding target of a bytes callback: each occurrence is appended to `out`
// (a singular field keeps the last one, as protobuf does).
struct BytesSink {
    std::vector<Bytes>* out;
    std::size_t max_count;
    std::size_t max_size;
    bool singular = false;
    std::string error;  // set when a bound was exceeded
};
bool decode_bytes_cb(pb_istream_t* stream, const pb_field_t* field, void** arg);

void set_encode(pb_callback_t& cb, const ByteView* value);
void set_encode(pb_callback_t& cb, const std::vector<Bytes>* values);
void set_decode(pb_callback_t& cb, BytesSink* sink);

Expected<Bytes> encode_message(const pb_msgdesc_t* fields, const void* message);
Status decode_message(const pb_msgdesc_t* fields, void* message, ByteView bytes);

}  // namespace shared::pbglue
