#include "support/html_check.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace archsim::test {

HtmlCheck checkHtml(const std::string& html) {
  static const std::set<std::string> kVoid{"meta", "br",   "img",  "hr",  "input",
                                           "link", "area", "base", "col", "wbr"};
  HtmlCheck r;
  std::vector<std::string> stack;
  std::size_t i = 0;
  auto line = [&](std::size_t pos) {
    return std::to_string(1 + std::count(html.begin(), html.begin() + pos, '\n'));
  };
  while (i < html.size()) {
    if (html[i] != '<') {
      ++i;
      continue;
    }
    if (html.compare(i, 4, "<!--") == 0) {
      const auto end = html.find("-->", i);
      if (end == std::string::npos) {
        r.errors.push_back("line " + line(i) + ": unterminated comment");
        break;
      }
      i = end + 3;
      continue;
    }
    if (html.compare(i, 2, "<!") == 0) {
      i = html.find('>', i) + 1;
      continue;
    }
    const bool closing = i + 1 < html.size() && html[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    std::string name;
    while (j < html.size() && (std::isalnum(static_cast<unsigned char>(html[j])) ||
                               html[j] == '-' || html[j] == ':')) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[j])));
      ++j;
    }
    if (name.empty()) {
      r.errors.push_back("line " + line(i) + ": stray '<'");
      ++i;
      continue;
    }
    // Attributes: name="value" pairs up to '>' or '/>'.
    bool self_closing = false;
    char quote = 0;
    for (; j < html.size(); ++j) {
      const char c = html[j];
      if (quote != 0) {
        if (c == quote)
          quote = 0;
        else if (c == '<')
          r.errors.push_back("line " + line(j) + ": '<' inside an attribute value");
        continue;
      }
      if (c == '"' || c == '\'') {
        if (html[j - 1] != '=')
          r.errors.push_back("line " + line(j) + ": quote not after '=' in <" + name + ">");
        quote = c;
      } else if (c == '=' && j + 1 < html.size() && html[j + 1] != '"' && html[j + 1] != '\'') {
        r.errors.push_back("line " + line(j) + ": unquoted attribute value in <" + name + ">");
      } else if (c == '>') {
        self_closing = html[j - 1] == '/';
        break;
      }
    }
    if (j >= html.size()) {
      r.errors.push_back("line " + line(i) + ": unterminated tag <" + name);
      break;
    }
    i = j + 1;
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        r.errors.push_back("line " + line(i) + ": </" + name + "> closes " +
                           (stack.empty() ? "nothing" : "<" + stack.back() + ">"));
      } else {
        stack.pop_back();
      }
      continue;
    }
    ++r.elements[name];
    if (self_closing || kVoid.count(name)) continue;
    if (name == "style" || name == "script") {
      const auto end = html.find("</" + name + ">", i);
      if (end == std::string::npos) {
        r.errors.push_back("line " + line(i) + ": unterminated <" + name + ">");
        break;
      }
      i = end + name.size() + 3;
      continue;
    }
    stack.push_back(name);
  }
  for (const std::string& open : stack)
    r.errors.push_back("<" + open + "> never closed");
  return r;
}

}  // namespace archsim::test
