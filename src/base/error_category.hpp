#pragma once
// The error category of an error enum, as Beast pairs `enum class error` with a category: the
// category's name and each value's message, and optionally the condition each value belongs
// to. One template, so that every layer's errors behave alike with no category code of its own.
//
//   const boost::system::error_category& error_category() {
//     static const base::EnumErrorCategory<Error> category("net", describe);
//     return category;
//   }

#include <boost/system/error_category.hpp>
#include <boost/system/error_condition.hpp>
#include <string>
#include <string_view>

namespace base {

template <class Enum>
class EnumErrorCategory final : public boost::system::error_category {
 public:
  using Describe = std::string_view (*)(Enum);
  using Classify = boost::system::error_condition (*)(Enum);

  EnumErrorCategory(const char* name, Describe describe, Classify classify = nullptr)
      : name_(name), describe_(describe), classify_(classify) {}

  const char* name() const noexcept override { return name_; }

  std::string message(int value) const override {
    return std::string(describe_(static_cast<Enum>(value)));
  }

  boost::system::error_condition default_error_condition(int value) const noexcept override {
    if (classify_) return classify_(static_cast<Enum>(value));
    return boost::system::error_category::default_error_condition(value);
  }

 private:
  const char* name_;
  Describe describe_;
  Classify classify_;
};

}  // namespace base
