// `supervisor status` for a person: the node's status document (Supervisor::status_json)
// as a few summary lines and a table of workers.
#pragma once

#include <string>

#include "shared/expected.h"

namespace supervisor {

// The readable form of the document. Fields it does not know are ignored and
// missing ones shown as "-", so that a node of another version still reads.
// An error only when the text is not a JSON object.
shared::Expected<std::string> format_status(const std::string& document);

// 45s, 5m02s, 2h03m, 3d04h.
std::string format_duration(double seconds);

}  // namespace supervisor
