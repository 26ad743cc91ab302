// Node-API binding: class SipnicSim wraps one Harness<Vsipnic_w8>, <Vsipnic_w32> or <Vsipnic_w64>.
// The typed API is in sim/addon.ts; this file checks arguments and converts data.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "Vsipnic_w32.h"
#include "Vsipnic_w64.h"
#include "Vsipnic_w8.h"
#include "harness.h"

namespace {

using sipnic::Harness;
using sipnic::Results;
using sipnic::SimHarness;

[[noreturn]] void typeError(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

std::string show(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  if (v.IsObject()) return "an object";
  Napi::String s = v.ToString();
  return v.IsString() ? "\"" + s.Utf8Value() + "\"" : s.Utf8Value();
}

/** A whole number in [min, max]; throws TypeError naming the argument otherwise. */
double integerArg(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max) {
  const Napi::Value v = info[i];
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : std::nan("");
  if (!v.IsNumber() || !std::isfinite(d) || std::floor(d) != d || d < min || d > max) {
    char range[96];
    std::snprintf(range, sizeof range, "an integer from %.0f to %.0f", min, max);
    typeError(info.Env(), std::string(name) + " must be " + range + ", got " + show(v));
  }
  return d;
}

uint32_t addrArg(const Napi::CallbackInfo& info, size_t i) {
  const double a = integerArg(info, i, "addr", 0, 0xFFFC);
  if (static_cast<uint32_t>(a) % 4 != 0) typeError(info.Env(), "addr must be 4-byte aligned, got " + show(info[i]));
  return static_cast<uint32_t>(a);
}

template <class Array>
Array typedArg(const Napi::CallbackInfo& info, size_t i, const char* name, napi_typedarray_type type,
               const char* typeName) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    typeError(info.Env(), std::string(name) + " must be a " + typeName + ", got " + show(v));
  }
  return v.As<Array>();
}

template <class T, class Array>
Array copyOut(Napi::Env env, const std::vector<T>& v) {
  Array a = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
}

class SipnicSim : public Napi::ObjectWrap<SipnicSim> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(
        env, "SipnicSim",
        {
            InstanceAccessor<&SipnicSim::Width>("width"),
            InstanceAccessor<&SipnicSim::Cycles>("cycles"),
            InstanceAccessor<&SipnicSim::Queues>("queues"),
            InstanceMethod<&SipnicSim::RegRead>("regRead"),
            InstanceMethod<&SipnicSim::RegWrite>("regWrite"),
            InstanceMethod<&SipnicSim::RegBatch>("regBatch"),
            InstanceMethod<&SipnicSim::Send>("send"),
            InstanceMethod<&SipnicSim::SendTransmit>("sendTransmit"),
            InstanceMethod<&SipnicSim::SetReady>("setReady"),
            InstanceMethod<&SipnicSim::Run>("run"),
            InstanceMethod<&SipnicSim::RunUntilIdle>("runUntilIdle"),
            InstanceMethod<&SipnicSim::Collect>("collect"),
            InstanceMethod<&SipnicSim::Pending>("pending"),
            InstanceMethod<&SipnicSim::BenchNative>("benchNative"),
            InstanceMethod<&SipnicSim::Close>("close"),
        });
    exports.Set("SipnicSim", cls);
    return exports;
  }

  explicit SipnicSim(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SipnicSim>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) typeError(env, "options must be an object { width: 8 | 32 | 64, trace?: string }, got " + show(info[0]));
    const Napi::Object opts = info[0].As<Napi::Object>();
    const Napi::Value w = opts.Get("width");
    const double width = w.IsNumber() ? w.As<Napi::Number>().DoubleValue() : 0;
    if (width != 8 && width != 32 && width != 64) typeError(env, "options.width must be 8, 32 or 64, got " + show(w));
    std::string trace;
    const Napi::Value t = opts.Get("trace");
    if (!t.IsUndefined()) {
      if (!t.IsString() || t.As<Napi::String>().Utf8Value().empty()) {
        typeError(env, "options.trace must be a non-empty file path, got " + show(t));
      }
      trace = t.As<Napi::String>().Utf8Value();
    }
    guard(env, [&] {
      if (width == 8) sim_ = std::make_unique<Harness<Vsipnic_w8>>(trace);
      else if (width == 32) sim_ = std::make_unique<Harness<Vsipnic_w32>>(trace);
      else sim_ = std::make_unique<Harness<Vsipnic_w64>>(trace);
      width_ = sim_->width();
      queues_ = sim_->queues();
    });
  }

 private:
  /** Runs f, turning C++ errors into JS errors. */
  template <class F>
  static auto guard(Napi::Env env, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  SimHarness& sim(Napi::Env env) {
    if (!sim_) throw Napi::Error::New(env, "the simulator is closed");
    return *sim_;
  }

  Napi::Value Width(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), width_); }
  Napi::Value Queues(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), queues_); }
  Napi::Value Cycles(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sim_ ? static_cast<double>(sim_->cycles()) : closedCycles_);
  }

  Napi::Value RegRead(const Napi::CallbackInfo& info) {
    const uint32_t addr = addrArg(info, 0);
    SimHarness& s = sim(info.Env());
    return Napi::Number::New(info.Env(), guard(info.Env(), [&] { return s.regRead(addr); }));
  }

  void RegWrite(const Napi::CallbackInfo& info) {
    const uint32_t addr = addrArg(info, 0);
    const uint32_t value = static_cast<uint32_t>(static_cast<int64_t>(integerArg(info, 1, "value", -2147483648.0, 4294967295.0)));
    SimHarness& s = sim(info.Env());
    guard(info.Env(), [&] { s.regWrite(addr, value); });
  }

  Napi::Value RegBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto ops = typedArg<Napi::Uint32Array>(info, 0, "ops", napi_uint32_array, "Uint32Array");
    const size_t n = ops.ElementLength();
    if (n % 3 != 0) typeError(env, "ops must hold [op, addr, value] triples, got " + std::to_string(n) + " words");
    for (size_t i = 0; i < n; i += 3) {
      if (ops[i] > 2) typeError(env, "ops[" + std::to_string(i) + "] must be 0 (read), 1 (write) or 2 (poll), got " + std::to_string(ops[i]));
      if (ops[i + 1] > 0xFFFC || ops[i + 1] % 4) typeError(env, "ops[" + std::to_string(i + 1) + "] must be a 4-byte aligned address below 0x10000, got " + std::to_string(ops[i + 1]));
    }
    SimHarness& s = sim(env);
    std::vector<uint32_t> out = guard(env, [&] { return s.regBatch(ops.Data(), n / 3); });
    return copyOut<uint32_t, Napi::Uint32Array>(env, out);
  }

  void Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto data = typedArg<Napi::Uint8Array>(info, 0, "data", napi_uint8_array, "Uint8Array");
    auto lengths = typedArg<Napi::Uint32Array>(info, 1, "lengths", napi_uint32_array, "Uint32Array");
    checkFrames(env, data, lengths);
    SimHarness& s = sim(env);
    guard(env, [&] { s.send(data.Data(), data.ByteLength(), lengths.Data(), lengths.ElementLength()); });
  }

  /** sendTransmit(data, lengths, processor): frames processor `processor` transmits (the transmit snoop). */
  void SendTransmit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto data = typedArg<Napi::Uint8Array>(info, 0, "data", napi_uint8_array, "Uint8Array");
    auto lengths = typedArg<Napi::Uint32Array>(info, 1, "lengths", napi_uint32_array, "Uint32Array");
    const uint32_t processor = static_cast<uint32_t>(integerArg(info, 2, "processor", 0, 31));
    checkFrames(env, data, lengths);
    SimHarness& s = sim(env);
    guard(env, [&] { s.sendTransmit(data.Data(), data.ByteLength(), lengths.Data(), lengths.ElementLength(), processor); });
  }

  void SetReady(const Napi::CallbackInfo& info) {
    const uint32_t mask = static_cast<uint32_t>(integerArg(info, 0, "mask", 0, 4294967295.0));
    SimHarness& s = sim(info.Env());
    guard(info.Env(), [&] { s.setReady(mask); });
  }

  void Run(const Napi::CallbackInfo& info) {
    const double n = integerArg(info, 0, "cycles", 0, 9007199254740991.0);
    SimHarness& s = sim(info.Env());
    guard(info.Env(), [&] { s.run(static_cast<uint64_t>(n)); });
  }

  Napi::Value RunUntilIdle(const Napi::CallbackInfo& info) {
    const double n = integerArg(info, 0, "maxCycles", 0, 9007199254740991.0);
    SimHarness& s = sim(info.Env());
    return Napi::Number::New(info.Env(), static_cast<double>(guard(info.Env(), [&] { return s.runUntilIdle(static_cast<uint64_t>(n)); })));
  }

  Napi::Value Collect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SimHarness& s = sim(env);
    const Results r = guard(env, [&] { return s.collect(); });
    Napi::Object o = Napi::Object::New(env);
    o.Set("ids", copyOut<uint32_t, Napi::Uint32Array>(env, r.ids));
    o.Set("queues", copyOut<int32_t, Napi::Int32Array>(env, r.queues));
    o.Set("reasons", copyOut<uint8_t, Napi::Uint8Array>(env, r.reasons));
    o.Set("lengths", copyOut<uint32_t, Napi::Uint32Array>(env, r.lengths));
    o.Set("data", copyOut<uint8_t, Napi::Uint8Array>(env, r.data));
    o.Set("inCycles", copyOut<double, Napi::Float64Array>(env, r.inCycles));
    o.Set("outCycles", copyOut<double, Napi::Float64Array>(env, r.outCycles));
    return o;
  }

  Napi::Value Pending(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(sim(info.Env()).pending()));
  }

  Napi::Value BenchNative(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto data = typedArg<Napi::Uint8Array>(info, 0, "data", napi_uint8_array, "Uint8Array");
    auto lengths = typedArg<Napi::Uint32Array>(info, 1, "lengths", napi_uint32_array, "Uint32Array");
    checkFrames(env, data, lengths);
    const double repeat = integerArg(info, 2, "repeat", 0, 9007199254740991.0);
    SimHarness& s = sim(env);
    const sipnic::BenchResult b = guard(env, [&] {
      return s.benchNative(data.Data(), data.ByteLength(), lengths.Data(), lengths.ElementLength(),
                           static_cast<uint64_t>(repeat));
    });
    Napi::Object o = Napi::Object::New(env);
    o.Set("frames", b.frames);
    o.Set("cycles", b.cycles);
    o.Set("seconds", b.seconds);
    return o;
  }

  void Close(const Napi::CallbackInfo& info) {
    if (!sim_) return;  // closing twice is harmless
    closedCycles_ = static_cast<double>(sim_->cycles());
    std::unique_ptr<SimHarness> s = std::move(sim_);
    guard(info.Env(), [&] { s->close(); });
  }

  static void checkFrames(Napi::Env env, const Napi::Uint8Array& data, const Napi::Uint32Array& lengths) {
    uint64_t total = 0;
    for (size_t i = 0; i < lengths.ElementLength(); i++) total += lengths[i];
    if (total != data.ByteLength()) {
      typeError(env, "lengths must add up to data.length (" + std::to_string(data.ByteLength()) + "), they add up to " +
                         std::to_string(total));
    }
  }

  std::unique_ptr<SimHarness> sim_;
  unsigned width_ = 0, queues_ = 0;
  double closedCycles_ = 0;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) { return SipnicSim::Init(env, exports); }

}  // namespace

NODE_API_MODULE(sipnic_sim, Init)
