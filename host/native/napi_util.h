// What the TAP (tap.cpp) and packet-socket (packet.cpp) halves of the sipnic_tap addon share:
// argument checks, errors that carry errno, and copying a worker's vectors into typed arrays.
#pragma once
#include <napi.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace sipnic {

[[noreturn]] inline void typeError(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

inline const char* errnoCode(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case ENETDOWN: return "ENETDOWN";
    case EINVAL: return "EINVAL";
    default: return "EOS";
  }
}

/** An Error with code (errnoCode), errno and syscall, as Node's own system errors. */
inline Napi::Error osError(Napi::Env env, int err, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, errnoCode(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, what));
  return e;
}

/** Argument i as a whole number in [min, max], else a TypeError naming it. */
inline double integerArg(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max) {
  const Napi::Value v = info[i];
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : std::nan("");
  if (!std::isfinite(d) || std::floor(d) != d || d < min || d > max) {
    typeError(info.Env(), std::string(name) + " must be an integer from " + std::to_string(static_cast<long long>(min)) + " to " +
                              std::to_string(static_cast<long long>(max)));
  }
  return d;
}

/** A new typed array holding a copy of v. */
template <typename T>
Napi::TypedArrayOf<T> copyOut(Napi::Env env, const std::vector<T>& v) {
  Napi::TypedArrayOf<T> a = Napi::TypedArrayOf<T>::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
}

}  // namespace sipnic
