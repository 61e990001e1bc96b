// Which flags apply to which command (issue 13): a flag that a command would
// ignore is refused with an error naming it and saying why, before any
// work. The rules are one table in applicability.cpp.
#ifndef DLN_CLI_APPLICABILITY_HPP
#define DLN_CLI_APPLICABILITY_HPP

#include <string>

#include "start_state.hpp"

namespace dlncli {

// Throws std::invalid_argument for the first flag in `given` that does not apply to
// `command` ("run", "compare", "sweep", "probability", "ensemble") in the
// situation at hand: starting from a state or not, and the method.
void refuse_inapplicable_flags(const std::string& command, const GivenFlags& given, bool from_state,
                               const std::string& method);

}  // namespace dlncli

#endif
