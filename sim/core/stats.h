// Statistics: typed, unit-annotated, hierarchical, derived lazily (STYLE.md rule 11).
//
// A StatGroup owns its stats and child groups; stats are registered once (at component
// construction) and updated through the references returned by add*(). Formulas are evaluated only
// when the group is dumped, so ratios such as utilization cost nothing during the run. Names are
// unique within a group; registration order is dump order, so output is deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace archsim {

class Stat {
 public:
  Stat(std::string name, std::string unit, std::string description);
  virtual ~Stat() = default;
  Stat(const Stat&) = delete;
  Stat& operator=(const Stat&) = delete;

  const std::string& name() const { return name_; }
  const std::string& unit() const { return unit_; }
  const std::string& description() const { return description_; }
  /// Adds this stat's value to `out` as {"value", "unit", "desc"} (plus extra fields for some
  /// kinds).
  virtual void dump(nlohmann::ordered_json& out) const = 0;
  /// The headline value (for text output and derived formulas).
  virtual double value() const = 0;
  /// Back to the state after registration (formulas have none).
  virtual void reset() {}
  /// The additive parts of this stat's state, appended to `out` (counters and scalars: the value;
  /// distributions: count and sum; formulas: nothing). Used to replay reused work (accumulate()).
  virtual void additive(std::vector<double>& out) const { (void)out; }
  /// Adds the additive parts in `delta` (as additive() lays them out; counts rounded to the
  /// nearest integer, never below zero); returns how many values it used.
  virtual std::size_t accumulate(const double* delta) {
    (void)delta;
    return 0;
  }

 private:
  std::string name_;
  std::string unit_;
  std::string description_;
};

/// An exact non-negative count (events, bytes, hits).
class Counter final : public Stat {
 public:
  using Stat::Stat;
  void add(std::uint64_t n = 1) { count_ += n; }
  std::uint64_t count() const { return count_; }
  double value() const override { return static_cast<double>(count_); }
  void reset() override { count_ = 0; }
  void dump(nlohmann::ordered_json& out) const override;
  void additive(std::vector<double>& out) const override { out.push_back(value()); }
  std::size_t accumulate(const double* delta) override;

 private:
  std::uint64_t count_ = 0;
};

/// A real-valued accumulator or level (joules, seconds).
class Scalar final : public Stat {
 public:
  using Stat::Stat;
  void add(double x) { value_ += x; }
  void set(double x) { value_ = x; }
  double value() const override { return value_; }
  void reset() override { value_ = 0.0; }
  void dump(nlohmann::ordered_json& out) const override;
  void additive(std::vector<double>& out) const override { out.push_back(value_); }
  std::size_t accumulate(const double* delta) override {
    value_ += delta[0];
    return 1;
  }

 private:
  double value_ = 0.0;
};

/// Samples summarized as count, sum, min, max and mean.
class Distribution final : public Stat {
 public:
  using Stat::Stat;
  void sample(double x);
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }
  double value() const override { return mean(); }
  void reset() override { count_ = 0, sum_ = min_ = max_ = 0.0; }
  void dump(nlohmann::ordered_json& out) const override;
  /// Count and sum; min and max are not additive (a replay keeps the observed extremes).
  void additive(std::vector<double>& out) const override {
    out.push_back(static_cast<double>(count_));
    out.push_back(sum_);
  }
  std::size_t accumulate(const double* delta) override;

 private:
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
};

/// A value derived at dump time from other stats or model state. The function must stay valid for
/// the life of the group (capture only objects that outlive it).
class Formula final : public Stat {
 public:
  Formula(std::string name, std::string unit, std::string description, std::function<double()> fn);
  double value() const override { return fn_(); }
  void dump(nlohmann::ordered_json& out) const override;

 private:
  std::function<double()> fn_;
};

class StatGroup {
 public:
  explicit StatGroup(std::string name, std::string description = {});
  StatGroup(const StatGroup&) = delete;
  StatGroup& operator=(const StatGroup&) = delete;

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }

  /// Registration. A name already used in this group (by a stat or a group) throws Panic.
  StatGroup& addGroup(std::string name, std::string description = {});
  Counter& addCounter(std::string name, std::string unit, std::string description);
  Scalar& addScalar(std::string name, std::string unit, std::string description);
  Distribution& addDistribution(std::string name, std::string unit, std::string description);
  Formula& addFormula(std::string name, std::string unit, std::string description,
                      std::function<double()> fn);

  /// Resets every stat in this group and below.
  void reset();

  /// Every additive value in this group and below, by dotted path ("hbm.bytes_read", and
  /// "x.count" / "x.sum" for a distribution x), in registration order.
  std::vector<std::pair<std::string, double>> additiveValues() const;
  /// Adds `delta` (additiveValues() layout, by path) to the stats it names; paths this group does
  /// not have are skipped.
  void accumulate(const std::vector<std::pair<std::string, double>>& delta);

  /// Lookup by dotted path relative to this group ("hbm.bytes_read"); nullptr when absent.
  const Stat* findStat(const std::string& path) const;
  const StatGroup* findGroup(const std::string& name) const;
  const std::vector<std::unique_ptr<Stat>>& stats() const { return stats_; }
  const std::vector<std::unique_ptr<StatGroup>>& groups() const { return groups_; }

  /// {"desc": ..., "stats": {name: {...}}, "groups": {name: {...}}}; empty parts are omitted.
  nlohmann::ordered_json toJson() const;
  /// One aligned line per stat: "path  value unit  # description".
  std::string toText() const;

 private:
  void claimName(const std::string& name);
  template <class T, class... Args>
  T& addStat(std::string name, Args&&... args);
  void collectText(const std::string& prefix, std::vector<std::array<std::string, 4>>& rows) const;
  void collectAdditive(const std::string& prefix,
                       std::vector<std::pair<std::string, double>>& out) const;
  Stat* findMutable(const std::string& path);

  std::string name_;
  std::string description_;
  std::vector<std::unique_ptr<Stat>> stats_;
  std::vector<std::unique_ptr<StatGroup>> groups_;
};

}  // namespace archsim
