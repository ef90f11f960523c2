#include "sim/core/stats.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/checked.h"
#include "sim/core/error.h"

namespace archsim {
namespace {
// JSON has no NaN or infinity: a formula that divides by zero dumps as null.
nlohmann::ordered_json number(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

void dumpCommon(const Stat& stat, nlohmann::ordered_json& out) {
  out["unit"] = stat.unit();
  out["desc"] = stat.description();
}
}  // namespace

Stat::Stat(std::string name, std::string unit, std::string description)
    : name_(std::move(name)), unit_(std::move(unit)), description_(std::move(description)) {
  if (name_.empty() || name_.find('.') != std::string::npos)
    ARCHSIM_PANIC("invalid stat name '" + name_ + "'");
  if (unit_.empty())
    ARCHSIM_PANIC("stat '" + name_ + "' has no unit (use \"1\" for a pure number)");
}

void Counter::dump(nlohmann::ordered_json& out) const {
  out["value"] = count_;
  dumpCommon(*this, out);
}

std::size_t Counter::accumulate(const double* delta) {
  count_ = roundToCount(static_cast<double>(count_) + delta[0]);
  return 1;
}

std::size_t Distribution::accumulate(const double* delta) {
  count_ = roundToCount(static_cast<double>(count_) + delta[0]);
  sum_ += delta[1];
  return 2;
}

void Scalar::dump(nlohmann::ordered_json& out) const {
  out["value"] = number(value_);
  dumpCommon(*this, out);
}

void Distribution::sample(double x) {
  if (count_ == 0) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  ++count_;
  sum_ += x;
}

void Distribution::dump(nlohmann::ordered_json& out) const {
  out["value"] = number(mean());
  dumpCommon(*this, out);
  out["count"] = count_;
  out["sum"] = number(sum_);
  out["min"] = number(min_);
  out["max"] = number(max_);
}

Formula::Formula(std::string name, std::string unit, std::string description,
                 std::function<double()> fn)
    : Stat(std::move(name), std::move(unit), std::move(description)), fn_(std::move(fn)) {}

void Formula::dump(nlohmann::ordered_json& out) const {
  out["value"] = number(fn_());
  dumpCommon(*this, out);
}

StatGroup::StatGroup(std::string name, std::string description)
    : name_(std::move(name)), description_(std::move(description)) {}

void StatGroup::claimName(const std::string& name) {
  const bool taken =
      std::any_of(stats_.begin(), stats_.end(), [&](const auto& s) { return s->name() == name; }) ||
      std::any_of(groups_.begin(), groups_.end(), [&](const auto& g) { return g->name() == name; });
  if (taken) ARCHSIM_PANIC("stat name '" + name + "' registered twice in group '" + name_ + "'");
}

StatGroup& StatGroup::addGroup(std::string name, std::string description) {
  if (name.empty() || name.find('.') != std::string::npos)
    ARCHSIM_PANIC("invalid stat group name '" + name + "'");
  claimName(name);
  groups_.push_back(std::make_unique<StatGroup>(std::move(name), std::move(description)));
  return *groups_.back();
}

template <class T, class... Args>
T& StatGroup::addStat(std::string name, Args&&... args) {
  claimName(name);
  auto stat = std::make_unique<T>(std::move(name), std::forward<Args>(args)...);
  T& ref = *stat;
  stats_.push_back(std::move(stat));
  return ref;
}

Counter& StatGroup::addCounter(std::string name, std::string unit, std::string description) {
  return addStat<Counter>(std::move(name), std::move(unit), std::move(description));
}

Scalar& StatGroup::addScalar(std::string name, std::string unit, std::string description) {
  return addStat<Scalar>(std::move(name), std::move(unit), std::move(description));
}

Distribution& StatGroup::addDistribution(std::string name, std::string unit,
                                         std::string description) {
  return addStat<Distribution>(std::move(name), std::move(unit), std::move(description));
}

Formula& StatGroup::addFormula(std::string name, std::string unit, std::string description,
                               std::function<double()> fn) {
  return addStat<Formula>(std::move(name), std::move(unit), std::move(description), std::move(fn));
}

void StatGroup::reset() {
  for (auto& s : stats_)
    s->reset();
  for (auto& g : groups_)
    g->reset();
}

const StatGroup* StatGroup::findGroup(const std::string& name) const {
  for (const auto& g : groups_) {
    if (g->name() == name) return g.get();
  }
  return nullptr;
}

const Stat* StatGroup::findStat(const std::string& path) const {
  const auto dot = path.find('.');
  if (dot == std::string::npos) {
    for (const auto& s : stats_) {
      if (s->name() == path) return s.get();
    }
    return nullptr;
  }
  const StatGroup* child = findGroup(path.substr(0, dot));
  return child ? child->findStat(path.substr(dot + 1)) : nullptr;
}

nlohmann::ordered_json StatGroup::toJson() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (!description_.empty()) out["desc"] = description_;
  if (!stats_.empty()) {
    nlohmann::ordered_json& stats = out["stats"];
    for (const auto& s : stats_)
      s->dump(stats[s->name()]);
  }
  if (!groups_.empty()) {
    nlohmann::ordered_json& groups = out["groups"];
    for (const auto& g : groups_)
      groups[g->name()] = g->toJson();
  }
  return out;
}

void StatGroup::collectText(const std::string& prefix,
                            std::vector<std::array<std::string, 4>>& rows) const {
  for (const auto& s : stats_) {
    rows.push_back(
        {prefix + s->name(), fmt::format("{:.6g}", s->value()), s->unit(), s->description()});
  }
  for (const auto& g : groups_)
    g->collectText(prefix + g->name() + ".", rows);
}

std::string StatGroup::toText() const {
  std::vector<std::array<std::string, 4>> rows;
  collectText(name_.empty() ? std::string() : name_ + ".", rows);
  std::size_t widths[3] = {0, 0, 0};
  for (const auto& r : rows) {
    for (int i = 0; i < 3; ++i)
      widths[i] = std::max(widths[i], r[static_cast<std::size_t>(i)].size());
  }
  std::ostringstream out;
  for (const auto& r : rows) {
    out << fmt::format("{:<{}}  {:>{}} {:<{}}  # {}\n", r[0], widths[0], r[1], widths[1], r[2],
                       widths[2], r[3]);
  }
  return out.str();
}

}  // namespace archsim

namespace archsim {

std::vector<std::pair<std::string, double>> StatGroup::additiveValues() const {
  std::vector<std::pair<std::string, double>> out;
  collectAdditive("", out);
  return out;
}

void StatGroup::collectAdditive(const std::string& prefix,
                                std::vector<std::pair<std::string, double>>& out) const {
  std::vector<double> values;
  for (const auto& stat : stats_) {
    values.clear();
    stat->additive(values);
    const std::string path = prefix + stat->name();
    if (values.size() == 1) out.emplace_back(path, values[0]);
    if (values.size() == 2) {
      out.emplace_back(path + ".count", values[0]);
      out.emplace_back(path + ".sum", values[1]);
    }
  }
  for (const auto& group : groups_)
    group->collectAdditive(prefix + group->name() + ".", out);
}

Stat* StatGroup::findMutable(const std::string& path) {
  return const_cast<Stat*>(findStat(path));
}

void StatGroup::accumulate(const std::vector<std::pair<std::string, double>>& delta) {
  for (std::size_t i = 0; i < delta.size(); ++i) {
    const std::string& path = delta[i].first;
    Stat* stat = findMutable(path);
    if (stat != nullptr) {  // a counter or scalar: one value
      stat->accumulate(&delta[i].second);
      continue;
    }
    // A distribution: "x.count" then "x.sum".
    if (path.ends_with(".count") && i + 1 < delta.size()) {
      stat = findMutable(path.substr(0, path.size() - 6));
      if (stat != nullptr) {
        const double pair[2] = {delta[i].second, delta[i + 1].second};
        stat->accumulate(pair);
        ++i;
      }
    }
  }
}

}  // namespace archsim
