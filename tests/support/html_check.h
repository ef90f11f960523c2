// A strict well-formedness check for the HTML archsim writes (HTML5 syntax, XML discipline): every
// element closed in order (void elements and "/>" excepted), attributes quoted, no stray '<', the
// <style> body skipped as raw text. Enough to prove a report is one parseable document; the
// Chromium render check (tests/report/render_check.sh) covers what a browser makes of it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace archsim::test {

struct HtmlCheck {
  std::vector<std::string> errors;
  std::map<std::string, int> elements;  // opened elements by name
};

HtmlCheck checkHtml(const std::string& html);

}  // namespace archsim::test
