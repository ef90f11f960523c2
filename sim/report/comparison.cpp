#include "sim/report/comparison.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/html_report.h"
#include "sim/report/svg.h"
#include "sim/spec/units.h"

namespace archsim::report {
namespace {

std::string ratio(const std::optional<double>& v, const std::optional<double>& base) {
  if (!v || !base || *base == 0) return "";
  return fmt::format("{:.3g}x", *v / *base);
}

/// Rows grouped by scenario, in first-appearance order.
std::vector<std::vector<const ComparisonRow*>> groups(const std::vector<ComparisonRow>& rows) {
  std::vector<std::vector<const ComparisonRow*>> out;
  for (const ComparisonRow& r : rows) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& g) { return g.front()->scenario == r.scenario; });
    if (it == out.end()) {
      out.push_back({&r});
    } else {
      it->push_back(&r);
    }
  }
  return out;
}

std::string number(const std::optional<double>& v) {
  return v ? fmt::format("{:.6g}", *v) : "";
}

/// A metric of a row; none for a run that failed.
std::optional<double> valueOf(const run::MetricDef& m, const ComparisonRow& r) {
  return r.error.empty() ? m.value(r.metrics) : std::nullopt;
}

}  // namespace

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

ComparisonRow comparisonRow(const run::SystemRun& run) {
  return {run.system().name,       run.system().chip.name,
          run.scenario().name,     run.scenario().model.name,
          run.layout().describe(), run.metrics(),
          run.bindingResource(),   ""};
}

ComparisonOutput renderComparison(const std::vector<ComparisonRow>& rows) {
  ComparisonOutput out;
  const std::span<const run::MetricDef> ms = run::headlineMetrics();
  std::string html_body =
      "<h1>archsim comparison</h1>\n<p>Each scenario's runs side by side; ratios are to the first "
      "column of each table.</p>\n";
  for (const auto& group : groups(rows)) {
    const ComparisonRow& first = *group.front();
    // Cells: label column, then per run "value (ratio)".
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> head{"scenario " + first.scenario};
    for (const ComparisonRow* r : group)
      head.push_back(r->system);
    table.push_back(head);
    std::vector<std::string> plan{"plan"};
    for (const ComparisonRow* r : group)
      plan.push_back(r->error.empty() ? r->plan : "failed (below)");
    table.push_back(plan);
    // A metric no run of the scenario defines (TTFT of a decode step, per-output-token rates of
    // a prefill) has no row or chart.
    auto defined = [&](const run::MetricDef& m) {
      return std::any_of(group.begin(), group.end(),
                         [&](const ComparisonRow* r) { return valueOf(m, *r).has_value(); });
    };
    for (const run::MetricDef& m : ms) {
      if (!defined(m)) continue;
      std::vector<std::string> row{std::string(m.label)};
      for (std::size_t i = 0; i < group.size(); ++i) {
        if (!group[i]->error.empty()) {
          row.emplace_back("-");
          continue;
        }
        std::string cell = run::formatMetric(m, group[i]->metrics);
        if (i > 0) {
          const std::string x = ratio(valueOf(m, *group[i]), valueOf(m, first));
          if (!x.empty()) cell += " (" + x + ")";
        }
        row.push_back(cell);
      }
      table.push_back(row);
    }
    std::vector<std::string> bound{"binding resource"};
    for (const ComparisonRow* r : group)
      bound.push_back(r->error.empty() ? r->binding_resource : "-");
    table.push_back(bound);
    std::vector<std::string> failures;  // "system: reason", below the table
    for (const ComparisonRow* r : group)
      if (!r->error.empty()) failures.push_back(r->system + " failed: " + r->error);

    // Terminal: padded columns.
    std::vector<std::size_t> width(table.front().size(), 0);
    for (const auto& row : table) {
      for (std::size_t c = 0; c < row.size(); ++c)
        width[c] = std::max(width[c], row[c].size());
    }
    for (std::size_t r = 0; r < table.size(); ++r) {
      std::string line;
      for (std::size_t c = 0; c < table[r].size(); ++c) {
        line += c == 0 ? fmt::format("{:<{}}", table[r][c], width[c])
                       : fmt::format("  {:>{}}", table[r][c], width[c]);
      }
      out.text += line + "\n";
    }
    for (const std::string& f : failures)
      out.text += f + "\n";
    out.text += "\n";
    // Markdown.
    out.markdown += fmt::format("## {} ({})\n\n", first.scenario, first.model);
    for (std::size_t r = 0; r < table.size(); ++r) {
      out.markdown += "|";
      for (const std::string& cell : table[r])
        out.markdown += " " + cell + " |";
      out.markdown += "\n";
      if (r == 0) {
        out.markdown += "|---|";
        for (std::size_t c = 1; c < table[r].size(); ++c)
          out.markdown += "---:|";
        out.markdown += "\n";
      }
    }
    for (const std::string& f : failures)
      out.markdown += "\n" + f + "\n";
    out.markdown += "\n";
    // HTML table and charts.
    html_body += fmt::format("<h2>{} <small>({})</small></h2>\n<table>\n",
                             svg::escape(first.scenario), svg::escape(first.model));
    for (std::size_t r = 0; r < table.size(); ++r) {
      html_body += "<tr>";
      for (std::size_t c = 0; c < table[r].size(); ++c) {
        const char* tag = r == 0 ? "th" : "td";
        html_body += fmt::format("<{0}{1}>{2}</{0}>", tag, c == 0 ? " class=\"l\"" : "",
                                 svg::escape(table[r][c]));
      }
      html_body += "</tr>\n";
    }
    html_body += "</table>\n";
    for (const std::string& f : failures)
      html_body += "<p>" + svg::escape(f) + "</p>\n";
    // Per output token for generation, per prompt token for a prefill (whichever the runs have).
    for (const char* key : {"tokens_per_s_per_user", "prompt_tokens_per_s", "energy_per_token_j",
                            "energy_per_prompt_token_j", "memory_bytes"}) {
      const run::MetricDef& m = *run::findMetric(key);
      if (!defined(m)) continue;
      std::vector<svg::Bar> bars;
      for (const ComparisonRow* r : group)
        bars.push_back({r->system, {valueOf(m, *r).value_or(0.0)}});
      const std::string unit(m.unit);
      html_body +=
          "<figure class=\"chart\">" +
          svg::barChart(fmt::format("{} — {}", m.label, first.scenario),
                        fmt::format("{} ({})", m.label, unit), {std::string(m.label)}, bars) +
          "<figcaption>" +
          svg::escape(m.better == run::Better::kHigher ? "Higher is better." : "Lower is better.") +
          "</figcaption></figure>\n";
    }
  }
  out.html = htmlPage("archsim comparison", html_body);

  // CSV and JSON: a row per run.
  out.csv = "scenario,model,system,chip,plan,binding_resource";
  for (const run::MetricDef& m : ms)
    out.csv += fmt::format(",{0},{0}_ratio", m.key);
  out.csv += ",error\n";
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  for (const auto& group : groups(rows)) {
    for (const ComparisonRow* r : group) {
      out.csv += fmt::format("{},{},{},{},{},{}", csvField(r->scenario), csvField(r->model),
                             csvField(r->system), csvField(r->chip), csvField(r->plan),
                             csvField(r->binding_resource));
      nlohmann::ordered_json j = {
          {"scenario", r->scenario}, {"model", r->model},
          {"system", r->system},     {"chip", r->chip},
          {"plan", r->plan},         {"binding_resource", r->binding_resource}};
      for (const run::MetricDef& m : ms) {
        const auto v = valueOf(m, *r);
        const auto base = valueOf(m, *group.front());
        const std::optional<double> x =
            v && base && *base != 0 ? std::optional<double>(*v / *base) : std::nullopt;
        out.csv += "," + number(v) + "," + number(x);
        j[std::string(m.key)] = v ? nlohmann::ordered_json(std::strtod(number(v).c_str(), nullptr))
                                  : nlohmann::ordered_json(nullptr);
        j[fmt::format("{}_ratio", m.key)] =
            x ? nlohmann::ordered_json(std::strtod(number(x).c_str(), nullptr))
              : nlohmann::ordered_json(nullptr);
      }
      out.csv += "," + csvField(r->error) + "\n";
      j["error"] =
          r->error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r->error);
      json.push_back(std::move(j));
    }
  }
  out.json = json.dump(2) + "\n";
  return out;
}

}  // namespace archsim::report
