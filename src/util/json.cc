#include "util/json.h"

#include <cstdlib>

namespace gpio2mqtt {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  std::optional<Json> document() {
    auto value = this->value(0);
    blanks();
    if (!value || at_ != text_.size()) return std::nullopt;
    return value;
  }

 private:
  void blanks() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }
  bool take(char c) {
    blanks();
    if (at_ < text_.size() && text_[at_] == c) return ++at_, true;
    return false;
  }
  bool word(std::string_view w) {
    if (text_.substr(at_, w.size()) != w) return false;
    at_ += w.size();
    return true;
  }
  std::optional<std::string> string() {
    if (!take('"')) return std::nullopt;
    std::string out;
    while (at_ < text_.size()) {
      char c = text_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= text_.size()) return std::nullopt;
      switch (char e = text_[at_++]) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (at_ + 4 > text_.size()) return std::nullopt;
          unsigned code = std::strtoul(std::string(text_.substr(at_, 4)).c_str(), nullptr, 16);
          at_ += 4;
          if (code >= 0x80) return std::nullopt;  // what gpio2mqtt writes escapes control characters only
          out += static_cast<char>(code);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }
  std::optional<Json> value(int depth) {
    if (depth > 64) return std::nullopt;
    blanks();
    Json out;
    if (at_ >= text_.size()) return std::nullopt;
    char c = text_[at_];
    if (c == '"') {
      auto s = string();
      if (!s) return std::nullopt;
      out.kind = Json::Kind::kString;
      out.string = *s;
    } else if (c == '{') {
      ++at_;
      out.kind = Json::Kind::kObject;
      if (take('}')) return out;
      do {
        auto key = string();
        if (!key || !take(':')) return std::nullopt;
        auto member = value(depth + 1);
        if (!member || out.object.count(*key)) return std::nullopt;
        out.object.emplace(*key, std::move(*member));
      } while (take(','));
      if (!take('}')) return std::nullopt;
    } else if (c == '[') {
      ++at_;
      out.kind = Json::Kind::kArray;
      if (take(']')) return out;
      do {
        auto item = value(depth + 1);
        if (!item) return std::nullopt;
        out.array.push_back(std::move(*item));
      } while (take(','));
      if (!take(']')) return std::nullopt;
    } else if (word("true") || word("false")) {
      out.kind = Json::Kind::kBool;
      out.boolean = text_[at_ - 1] == 'e' && text_[at_ - 2] == 'u';
    } else if (word("null")) {
      out.kind = Json::Kind::kNull;
    } else {
      std::size_t start = at_;
      while (at_ < text_.size() && std::string_view("+-.eE0123456789").find(text_[at_]) != std::string_view::npos)
        ++at_;
      if (start == at_) return std::nullopt;
      out.kind = Json::Kind::kNumber;
      out.number = std::strtod(std::string(text_.substr(start, at_ - start)).c_str(), nullptr);
    }
    return out;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

const Json& Json::operator[](const std::string& key) const {
  static const Json kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : it->second;
}

std::optional<Json> parse_json(std::string_view text) { return Reader(text).document(); }

}  // namespace gpio2mqtt
