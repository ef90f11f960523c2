// Callback: a typed, allocation-free delegate for event handlers.
//
// Binds a member function `void T::f(std::uint64_t)` (or `void T::f()`) to an object. Two words of
// state and a trampoline: copying it never allocates, so an event record stays a small plain
// struct.
#pragma once

#include <cstdint>
#include <type_traits>

namespace archsim {

class Callback {
 public:
  constexpr Callback() = default;

  /// Callback::to<&Cache::onFill>(this) — the object must outlive every event that carries the
  /// callback.
  template <auto Method, class T>
  static Callback to(T* object) {
    return Callback(&trampoline<Method, T>, object);
  }

  void operator()(std::uint64_t arg) const { fn_(object_, arg); }
  explicit operator bool() const { return fn_ != nullptr; }

 private:
  using Fn = void (*)(void*, std::uint64_t);
  Callback(Fn fn, void* object) : fn_(fn), object_(object) {}

  template <auto Method, class T>
  static void trampoline(void* object, std::uint64_t arg) {
    T* self = static_cast<T*>(object);
    if constexpr (std::is_invocable_v<decltype(Method), T*, std::uint64_t>) {
      (self->*Method)(arg);
    } else {
      (self->*Method)();
    }
  }

  Fn fn_ = nullptr;
  void* object_ = nullptr;
};

}  // namespace archsim
