// Turns a fault that fired into what the client sees: an error answer, a bad
// body, or a connection closed without an answer.
#pragma once

#include <string>

#include <httplib.h>

#include "faults.h"
#include "prng.h"

namespace orch {

// True for the kinds whose answer replaces the handler's: the handler does not
// run, so such a request changes no state (a 429'd submission leaves its task
// assigned). delay, expire and truncate let the handler run.
bool replaces_handler(FaultKind kind);

// Fills `res` for a kind that replaces the handler (not reset).
void answer_with_fault(const FaultSpec& spec, httplib::Response& res, Prng& prng, double now);

// The handler's real answer with its body cut in half (Content-Length matches
// the cut body, so the client gets a well-framed but undecodable body).
void truncate_body(httplib::Response& res);

// Closes the request's TCP connection without an answer. cpp-httplib 0.11 does
// not hand the socket to handlers, so the socket is found by its addresses
// (getsockname/getpeername over /proc/self/fd); SO_LINGER 0 makes the final
// close an RST, and shutdown() makes httplib's own write of the answer fail.
// False when the socket was not found.
bool reset_connection(const httplib::Request& req);

// An IMF-fixdate, as Retry-After and Date carry: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(double unix_seconds);

}  // namespace orch
