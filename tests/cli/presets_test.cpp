// Every preset loads, cites its sources, and agrees with the calibration records it cites.
#include <cmath>
#include <fstream>
#include <map>
#include <regex>

#include <doctest/doctest.h>

#include "sim/graph/workload.h"
#include "sim/spec/units.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {
struct Record {
  std::string value;
  std::string unit;
};

/// id -> (value, unit) from ../shared/calibration/measurements.yaml and the project's own records
/// (configs/calibration/measurements.yaml); empty when the shared file is absent.
std::map<std::string, Record> calibrationRecords() {
  std::map<std::string, Record> records;
  const std::filesystem::path shared =
      std::filesystem::path(ARCHSIM_SHARED_DIR) / "calibration/measurements.yaml";
  if (!std::filesystem::exists(shared)) return records;
  for (const auto& file : {shared, sourceDir() / "configs/calibration/measurements.yaml"}) {
    const spec::ConfigNode root = spec::loadYamlFile(file);
    for (const auto& r : root.children()) {
      const spec::ConfigNode* id = r.find("id");
      const spec::ConfigNode* value = r.find("value");
      const spec::ConfigNode* unit = r.find("unit");
      if (id == nullptr) continue;
      CAPTURE(id->scalar());
      REQUIRE_MESSAGE(records.count(id->scalar()) == 0, "a record id appears twice");
      records[id->scalar()] = {value && value->isScalar() ? value->scalar() : "",
                               unit && unit->isScalar() ? unit->scalar() : ""};
    }
  }
  return records;
}

bool looksLikeRecordId(const std::string& s) {
  static const std::regex id("^[a-z0-9][a-z0-9._]*(-[a-z0-9._]+)+$");
  return std::regex_match(s, id);
}

std::vector<std::filesystem::path> presetFiles(const char* folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(sourceDir() / "configs" / folder)) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<double> asQuantity(const std::string& text) {
  try {
    return spec::parseQuantity(text).value;
  } catch (const spec::UnitError&) {
    return std::nullopt;
  }
}
}  // namespace

TEST_CASE("Every chip and system preset loads as a system") {
  const spec::Catalog catalog = presetCatalog();
  CHECK(catalog.presetNames(spec::DocKind::kChip).size() >= 12);
  CHECK(catalog.presetNames(spec::DocKind::kSystem).size() >= 7);
  for (auto kind : {spec::DocKind::kChip, spec::DocKind::kSystem}) {
    for (const auto& name : catalog.presetNames(kind)) {
      CAPTURE(name);
      CHECK_NOTHROW(spec::loadSystem(catalog, name));
    }
  }
}

TEST_CASE("Every model and scenario preset loads, and every scenario builds its graphs") {
  const spec::Catalog catalog = presetCatalog();
  CHECK(catalog.presetNames(spec::DocKind::kModel).size() >= 13);
  CHECK(catalog.presetNames(spec::DocKind::kScenario).size() >= 11);
  for (const auto& name : catalog.presetNames(spec::DocKind::kScenario)) {
    CAPTURE(name);
    const spec::LoadedScenario s = spec::loadScenario(catalog, name);
    const graph::Workload w(s.spec);
    CHECK(!w.runs().empty());
  }
}

TEST_CASE(
    "Every chip preset states energy for each matrix dtype and each memory level, and its "
    "sources") {
  const spec::Catalog catalog = presetCatalog();
  for (const auto& name : catalog.presetNames(spec::DocKind::kChip)) {
    CAPTURE(name);
    const spec::ChipSpec chip = spec::loadSystem(catalog, name).spec.chip;
    CHECK(!chip.sources.empty());
    for (const auto& entry : chip.matrix.peak_ops_per_s) {
      CAPTURE(spec::dtypeName(entry.first));
      CHECK(chip.power.energy_j_per_op.count(entry.first) == 1);
    }
    for (const auto& m : chip.memory) {
      CAPTURE(m.name);
      CHECK(m.energy_j_per_byte > 0.0);
    }
    CHECK(chip.power.static_w > 0.0);
  }
}

TEST_CASE("Cited calibration records exist, and figures that cite one agree with it within 1%") {
  const auto records = calibrationRecords();
  if (records.empty()) {
    MESSAGE("../shared/calibration/measurements.yaml not found; skipping the citation check");
    return;
  }
  int compared = 0;
  for (const char* folder : {"chips", "systems"}) {
    for (const auto& file : presetFiles(folder)) {
      CAPTURE(file.filename().string());
      const spec::ConfigNode doc = spec::loadYamlFile(file);
      const spec::ConfigNode* sources = doc.find("sources");
      if (sources == nullptr) continue;
      for (const auto& figure : sources->children()) {
        CAPTURE(figure.key());
        const spec::ConfigNode* value = doc.findPath(figure.key());
        for (const auto& source : figure.children()) {
          if (!looksLikeRecordId(source.scalar())) continue;
          CAPTURE(source.scalar());
          const auto it = records.find(source.scalar());
          REQUIRE_MESSAGE(it != records.end(), "cited record id is not in measurements.yaml");
          // Compare when both sides are quantities of the same dimension.
          if (value == nullptr || !value->isScalar()) continue;
          const std::string unit = it->second.unit.substr(0, it->second.unit.find(' '));
          const auto cited = asQuantity(it->second.value + " " + unit);
          const auto stated = asQuantity(value->scalar());
          if (!cited || !stated) continue;
          if (spec::parseQuantity(value->scalar()).dimension !=
              spec::parseQuantity(it->second.value + " " + unit).dimension) {
            continue;
          }
          // Memory sizes: a vendor's "80 GB" of HBM is 80 GiB, and presets state what the device
          // reports (slightly less), so a size agrees with its record read in either unit.
          const bool size =
              spec::parseQuantity(value->scalar()).dimension == spec::Dimension::kSize;
          const double as_binary = *cited * 1073741824.0 / 1e9;
          CHECK((std::abs(*stated - *cited) <= 0.01 * *cited ||
                 (size && std::abs(*stated - as_binary) <= 0.01 * as_binary)));
          ++compared;
        }
      }
    }
  }
  MESSAGE("compared ", compared, " preset figures with their calibration records");
  CHECK(compared >= 40);
}

TEST_CASE("DGX-B200, GB200 NVL72 and a TPU v5e pod slice, against their datasheet figures") {
  const spec::Catalog catalog = presetCatalog();
  // DGX-B200: 8 x B200 on NVLink5 switches, 18 links x 50 GB/s = 900 GB/s per GPU per direction.
  const spec::SystemSpec dgx = spec::loadSystem(catalog, "dgx-b200").spec;
  CHECK(dgx.chipCount() == 8);
  REQUIRE(dgx.levels.size() == 1);
  CHECK(dgx.levels[0].topology == spec::TopologyKind::kSwitch);
  CHECK(dgx.levels[0].link.bytesPerSecondPerDirection() == doctest::Approx(900e9));
  CHECK(dgx.chip.name == "B200-180GB");
  // GB200 NVL72: 72 GPUs in one NVLink domain (130 TB/s = 72 x 1.8 TB/s both ways); each GPU at
  // 1.2 kW: 2.5 PFLOPS dense bf16 at 2 x 148 SMs x 4096 MAC x 2.062 GHz, 186 GB of HBM3e.
  const spec::SystemSpec nvl = spec::loadSystem(catalog, "gb200-nvl72").spec;
  CHECK(nvl.chipCount() == 72);
  REQUIRE(nvl.levels.size() == 1);
  CHECK(nvl.levels[0].size == 72);
  CHECK(72 * 2 * nvl.levels[0].link.bytesPerSecondPerDirection() == doctest::Approx(129.6e12));
  CHECK(nvl.chip.matrix.peak_ops_per_s.at(spec::DType::kBf16) == doctest::Approx(2.5e15));
  CHECK(nvl.chip.matrix.macsPerCyclePerUnit(spec::DType::kBf16, nvl.chip.clock_hz) ==
        doctest::Approx(4096).epsilon(1e-3));
  REQUIRE(nvl.chip.mainMemory() != nullptr);
  CHECK(nvl.chip.mainMemory()->size_bytes == 186'000'000'000ULL);
  CHECK(nvl.chip.power.tdp_w == 1200.0);
  // TPU v5e-16: a 4 x 4 ICI mesh (no wraparound below a full 16-chip axis), 4 links a chip.
  const spec::SystemSpec tpu = spec::loadSystem(catalog, "tpu-v5e-16").spec;
  CHECK(tpu.chipCount() == 16);
  REQUIRE(tpu.levels.size() == 1);
  CHECK(tpu.levels[0].topology == spec::TopologyKind::kMesh);
  CHECK(tpu.levels[0].dims == std::vector<std::uint32_t>{4, 4});
  CHECK(tpu.levels[0].link.links_per_chip == 4);
}
