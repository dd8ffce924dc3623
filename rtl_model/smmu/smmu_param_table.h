// SPDX-License-Identifier: Apache-2.0
// The one description of every configurable SMMU parameter: where it lives in
// SmmuParams (or a TBU's TbuLayout), its key under the SMMU's scenario object, its type,
// the values it accepts, its unit and what it means. The default is never written here:
// it is read from a default-constructed struct, so the struct stays the one place for it.
//
// The scenario reader walks these tables to read and check the keys, and smmu-sim
// --list-parameters prints them as the README's parameter table (checked by a test).
// Rules between parameters (va52 needs gran64k, ...) are the reader's, not the table's.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <systemc>

#include "rtl_model/common/set_associative_cache.h"
#include "rtl_model/smmu/smmu_params.h"

namespace smmu::model {

// Accessors into one Owner (SmmuParams or TbuLayout); the alternative held is the type.
template <typename Owner>
using ParamAccess = std::variant<bool& (*)(Owner&), unsigned& (*)(Owner&),
                                 sc_core::sc_time& (*)(Owner&), ReplacementPolicy& (*)(Owner&)>;

// A member of Owner (&Owner::field) or of one of its nested structs (&Owner::timing,
// &SmmuTiming::link_cycles), as an accessor function: C++ has no pointer to a nested member.
template <typename Owner, auto Field>
auto& param_member(Owner& o) {
  return o.*Field;
}
template <typename Owner, auto Group, auto Field>
auto& param_nested(Owner& o) {
  return (o.*Group).*Field;
}
// A member of an engaged std::optional member (a TBU's main TLB).
template <typename Owner, auto Group, auto Field>
auto& param_optional(Owner& o) {
  return (*(o.*Group)).*Field;
}

template <typename Owner>
struct Param {
  const char* key;  // dotted, under the owner's object: "timing.link_cycles"
  ParamAccess<Owner> access;
  // unsigned: the value; time: picoseconds. Unused for bool and policy.
  uint64_t min = 0;
  uint64_t max = 0;
  std::vector<uint64_t> allowed = {};  // unsigned: the only values accepted (when not empty)
  bool pow2 = false;                   // unsigned: a power of two (or 0 when min is 0)
  const char* unit = "";
  const char* doc = "";
  const char* default_text = nullptr;  // shown instead of the struct's default

  bool is_bool() const { return access.index() == 0; }
  bool is_unsigned() const { return access.index() == 1; }
  bool is_time() const { return access.index() == 2; }
  bool is_policy() const { return access.index() == 3; }
};

using SmmuParam = Param<SmmuParams>;
using TbuParam = Param<TbuLayout>;

// Every SmmuParams member the scenario sets (smmus[].<key>), in reading order.
const std::vector<SmmuParam>& smmu_param_table();
// Every TbuLayout member but its ports (smmus[].tbus[].<key>); main_tlb.* apply only when
// the TBU has a main TLB (the key given).
const std::vector<TbuParam>& tbu_param_table();

// Times: at most this (1000 s), so that sums of times stay far from 2^64 ps.
constexpr uint64_t kMaxParamTimePs = uint64_t{1000} * 1000'000'000'000;

// The names the tables print: "bool", "unsigned", "time", "policy".
template <typename Owner>
const char* param_type_name(const Param<Owner>& p) {
  static const char* const kNames[] = {"bool", "unsigned", "time", "policy"};
  return kNames[p.access.index()];
}

// A time in picoseconds (exact up to 2^53 ps, beyond kMaxParamTimePs).
uint64_t param_time_ps(const sc_core::sc_time& t);
// "10 ns", "100 us", "1500 ps": the largest unit that divides the value exactly.
std::string format_param_time(uint64_t ps);
// What a parameter accepts: "0..1048576", "32, 36, 40", "a power of two in 1..16384",
// "1 ps..1 us", "true, false", "lru, fifo, random".
std::string param_range_text(size_t type, uint64_t min, uint64_t max,
                             const std::vector<uint64_t>& allowed, bool pow2);
template <typename Owner>
std::string param_range_text(const Param<Owner>& p) {
  return param_range_text(p.access.index(), p.min, p.max, p.allowed, p.pow2);
}

// The value of p in o as the scenario would write it ("true", "8", "1 ns", "lru").
template <typename Owner>
std::string param_value_text(const Param<Owner>& p, Owner& o) {
  return std::visit(
      [&](auto get) -> std::string {
        using T = std::decay_t<decltype(get(o))>;
        if constexpr (std::is_same_v<T, bool>) return get(o) ? "true" : "false";
        else if constexpr (std::is_same_v<T, unsigned>) return std::to_string(get(o));
        else if constexpr (std::is_same_v<T, sc_core::sc_time>)
          return format_param_time(param_time_ps(get(o)));
        else return to_string(get(o));
      },
      p.access);
}

// The default: the default_text, else the value in a default-constructed Owner.
template <typename Owner>
std::string param_default_text(const Param<Owner>& p) {
  if (p.default_text) return p.default_text;
  Owner def;
  if constexpr (std::is_same_v<Owner, TbuLayout>) def.main_tlb.emplace();
  return param_value_text(p, def);
}

}  // namespace smmu::model
