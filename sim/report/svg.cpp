#include "sim/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace archsim::report::svg {
namespace {

constexpr int kLeft = 78;
constexpr int kRight = 170;  // room for the legend
constexpr int kTop = 34;
constexpr int kBottom = 48;

/// A tick value as text: SI prefixes for large or small magnitudes, trimmed decimals.
std::string tickText(double v, const Axis& a) {
  if (a.percent) return fmt::format("{:g}%", std::round(v * 1000.0) / 10.0);
  if (a.scale != 1.0) return fmt::format("{:.4g}", v * a.scale);  // the axis label names the unit
  const double m = std::fabs(v);
  if (m == 0) return "0";
  static const std::pair<double, const char*> kPrefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"},
                                                             {1e6, "M"},  {1e3, "k"},  {1, ""},
                                                             {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}};
  for (const auto& [f, p] : kPrefixes) {
    if (m >= f * 0.9999) return fmt::format("{:g}{}", std::round(v / f * 1000.0) / 1000.0, p);
  }
  return fmt::format("{:.2g}", v);
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text)
    h = (h ^ c) * 1099511628211ULL;
  return h;
}

struct Scale {
  double lo, hi;
  bool log;
  double a, b;  // pixel range
  double operator()(double v) const {
    double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                   : (v - lo) / (hi - lo);
    return a + t * (b - a);
  }
};

std::pair<double, double> range(const Axis& axis, const std::vector<double>& values) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (axis.log && v <= 0) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) {
    lo = axis.log ? 1 : 0;
    hi = axis.log ? 10 : 1;
  }
  if (axis.log) {
    lo = std::pow(10.0, std::floor(std::log10(lo)));
    hi = std::pow(10.0, std::ceil(std::log10(hi)));
    if (hi <= lo) hi = lo * 10;
  } else {
    lo = std::min(lo, 0.0);
    if (hi <= lo) hi = lo + 1;
  }
  if (axis.lo) lo = *axis.lo;
  if (axis.hi) hi = *axis.hi;
  return {lo, hi};
}

std::vector<double> ticks(double lo, double hi, bool log) {
  std::vector<double> out;
  if (log) {
    const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const int step = std::max(1, (b - a) / 8);
    for (int e = a; e <= b; e += step)
      out.push_back(std::pow(10.0, e));
    return out;
  }
  const double raw = (hi - lo) / 6;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return out;
}

struct Entry {
  std::string label;
  std::string color;
  char glyph;  // 'l' line, 'd' dashed line, 'o' marker, 's' swatch
};

std::string legend(const std::vector<Entry>& entries, int x, int y) {
  std::string out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int yy = y + static_cast<int>(i) * 18;
    const Entry& e = entries[i];
    if (e.glyph == 's') {
      out += fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/>)", x, yy - 9,
                         e.color);
    } else if (e.glyph == 'o') {
      out += fmt::format(R"(<circle cx="{}" cy="{}" r="4" fill="{}"/>)", x + 7, yy - 4, e.color);
    } else {
      out += fmt::format(
          R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"{}/>)", x, yy - 4,
          x + 14, yy - 4, e.color, e.glyph == 'd' ? R"( stroke-dasharray="4 2")" : "");
    }
    out += fmt::format(R"(<text x="{}" y="{}">{}</text>)", x + 18, yy, escape(e.label));
  }
  return out;
}

std::string header(const std::string& title, int width, int height) {
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img" )"
      R"(font-family="sans-serif" font-size="12"><title>{2}</title>)"
      R"(<rect x="0" y="0" width="{0}" height="{1}" fill="#ffffff"/>)"
      R"(<text x="{3}" y="20" font-size="14" font-weight="bold">{2}</text>)",
      width, height, escape(title), kLeft);
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string color(std::size_t i) {
  static const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return kPalette[i % std::size(kPalette)];
}

std::string xyChart(const std::string& title, const Axis& x, const Axis& y,
                    const std::vector<Series>& series, int width, int height) {
  std::vector<double> xs, ys;
  for (const Series& s : series) {
    for (const auto& [px, py] : s.points) {
      xs.push_back(px);
      ys.push_back(py);
    }
  }
  const auto [xlo, xhi] = range(x, xs);
  const auto [ylo, yhi] = range(y, ys);
  const Scale sx{xlo, xhi, x.log, static_cast<double>(kLeft), static_cast<double>(width - kRight)};
  const Scale sy{ylo, yhi, y.log, static_cast<double>(height - kBottom), static_cast<double>(kTop)};
  std::string out = header(title, width, height);
  // Grid and ticks.
  for (double t : ticks(xlo, xhi, x.log)) {
    const double px = sx(t);
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#e6e6e6"/>)",
                       px, kTop, height - kBottom);
    out += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", px,
                       height - kBottom + 16, escape(tickText(t, x)));
  }
  for (double t : ticks(ylo, yhi, y.log)) {
    const double py = sy(t);
    out += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#e6e6e6"/>)", kLeft,
                       py, width - kRight, py);
    out += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)", kLeft - 6, py + 4,
                       escape(tickText(t, y)));
  }
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444444"/>)",
                     kLeft, kTop, width - kRight - kLeft, height - kBottom - kTop);
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)",
                     (kLeft + width - kRight) / 2, height - 10, escape(x.label));
  out += fmt::format(
      R"~(<text x="16" y="{0}" text-anchor="middle" transform="rotate(-90 16 {0})">{1}</text>)~",
      (kTop + height - kBottom) / 2, escape(y.label));
  // Data, clipped to the plot.
  const std::uint64_t id = fnv1a(title + y.label + x.label);
  out += fmt::format(
      R"(<defs><clipPath id="c{0:x}"><rect x="{1}" y="{2}" width="{3}" height="{4}"/></clipPath></defs>)",
      id, kLeft, kTop, width - kRight - kLeft, height - kBottom - kTop);
  out += fmt::format(R"~(<g clip-path="url(#c{:x})">)~", id);
  std::vector<Entry> entries;
  for (const Series& s : series) {
    entries.push_back({s.label, s.color, s.line ? (s.dashed ? 'd' : 'l') : 'o'});
    auto ok = [&](double px, double py) {
      return std::isfinite(px) && std::isfinite(py) && (!x.log || px > 0) && (!y.log || py > 0);
    };
    if (s.line) {
      std::string pts;
      for (const auto& [px, py] : s.points) {
        if (!ok(px, py)) continue;
        pts += fmt::format("{}{:.1f},{:.1f}", pts.empty() ? "" : " ", sx(px), sy(py));
      }
      out += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{}/>)",
                         pts, s.color, s.dashed ? R"( stroke-dasharray="6 4")" : "");
    } else {
      for (std::size_t i = 0; i < s.points.size(); ++i) {
        const auto [px, py] = s.points[i];
        if (!ok(px, py)) continue;
        if (i < s.tips.size()) {
          out += fmt::format(
              R"(<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}" fill-opacity="0.75"><title>{}</title></circle>)",
              sx(px), sy(py), s.color, escape(s.tips[i]));
        } else {
          out += fmt::format(
              R"(<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}" fill-opacity="0.75"/>)", sx(px),
              sy(py), s.color);
        }
      }
    }
  }
  out += "</g>";
  out += legend(entries, width - kRight + 12, kTop + 12);
  out += "</svg>";
  return out;
}

std::string barChart(const std::string& title, const std::string& value_label,
                     const std::vector<std::string>& parts, const std::vector<Bar>& bars,
                     double scale, int width) {
  constexpr int kBar = 20;
  constexpr int kLabel = 190;
  const int height = kTop + static_cast<int>(bars.size()) * (kBar + 8) + kBottom;
  double most = 0;
  for (const Bar& b : bars) {
    double sum = 0;
    for (double v : b.parts)
      sum += std::max(0.0, v);
    most = std::max(most, sum);
  }
  if (most <= 0) most = 1;
  Axis axis{value_label};
  axis.scale = scale;
  const auto tick_values = ticks(0, most, false);
  const double hi = std::max(most, tick_values.empty() ? most : tick_values.back());
  const Scale sx{0, hi, false, static_cast<double>(kLabel),
                 static_cast<double>(width - kRight - 70)};
  std::string out = header(title, width, height);
  for (double t : tick_values) {
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#e6e6e6"/>)",
                       sx(t), kTop, height - kBottom);
    out += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", sx(t),
                       height - kBottom + 16, escape(tickText(t, axis)));
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = kTop + 4 + static_cast<int>(i) * (kBar + 8);
    out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", kLabel - 6,
                       y + kBar - 6, escape(bars[i].label));
    double at = 0;
    double total = 0;
    for (std::size_t p = 0; p < bars[i].parts.size(); ++p) {
      const double v = std::max(0.0, bars[i].parts[p]);
      if (v <= 0) continue;
      out += fmt::format(
          R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}"><title>{}: {}</title></rect>)",
          sx(at), y, std::max(0.5, sx(at + v) - sx(at)), kBar, color(p),
          escape(p < parts.size() ? parts[p] : bars[i].label), escape(tickText(v, axis)));
      at += v;
      total += v;
    }
    out += fmt::format(R"(<text x="{:.1f}" y="{}">{}</text>)", sx(at) + 4, y + kBar - 6,
                       escape(tickText(total, axis)));
  }
  out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#444444"/>)", kLabel,
                     kTop, height - kBottom);
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)",
                     (kLabel + width - kRight - 70) / 2, height - 12, escape(value_label));
  if (parts.size() > 1) {
    std::vector<Entry> entries;
    for (std::size_t p = 0; p < parts.size(); ++p)
      entries.push_back({parts[p], color(p), 's'});
    out += legend(entries, width - kRight + 12, kTop + 12);
  }
  out += "</svg>";
  return out;
}

}  // namespace archsim::report::svg
