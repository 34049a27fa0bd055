#include "engineio/sid.hpp"

#include "base/random.hpp"

namespace engineio {

std::string generate_sid() {
  return base::random_token(15);
}

}  // namespace engineio
