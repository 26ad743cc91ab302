// What the TAP (tap.cpp) and packet-socket (packet.cpp) halves of the addon do alike with
// frames: write a batch, one system call per frame, counting refusals; and poll many
// descriptors in a worker thread, reading every frame that is ready. Each half says only how
// one frame is sent or read and what a descriptor's poll error means.
#pragma once
#include <napi.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "napi_util.h"

namespace sipnic {

inline bool isTyped(const Napi::Value& v, napi_typedarray_type t) { return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == t; }

/**
 * (data: Uint8Array, lengths: Uint32Array) -> { written, errors, errno }: sendOne(bytes, n) per
 * frame (retried on EINTR); a frame it does not take whole is counted with its errno, not thrown.
 */
template <typename SendOne>
Napi::Object writeFrames(const Napi::CallbackInfo& info, SendOne sendOne) {
  Napi::Env env = info.Env();
  if (!isTyped(info[0], napi_uint8_array)) typeError(env, "data must be a Uint8Array");
  if (!isTyped(info[1], napi_uint32_array)) typeError(env, "lengths must be a Uint32Array");
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  Napi::Uint32Array lengths = info[1].As<Napi::Uint32Array>();
  size_t at = 0;
  uint32_t written = 0, errors = 0;
  int lastErr = 0;
  for (size_t i = 0; i < lengths.ElementLength(); i++) {
    const size_t n = lengths[i];
    if (at + n > data.ByteLength()) typeError(env, "lengths add up to more than data holds");
    ssize_t r;
    do {
      r = sendOne(data.Data() + at, n);
    } while (r < 0 && errno == EINTR);
    if (r == static_cast<ssize_t>(n)) {
      written++;
    } else {
      errors++;
      lastErr = r < 0 ? errno : EMSGSIZE;
    }
    at += n;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("written", written);
  out.Set("errors", errors);
  out.Set("errno", lastErr);
  return out;
}

/**
 * Waits until one descriptor is readable or the timeout, then reads up to maxPerFd frames from
 * every readable one without blocking. Resolves { index: Uint16Array, lengths: Uint32Array,
 * data: Uint8Array, errors: Int32Array, ...the half's own fields }: index[i] is the position in
 * fds of frame i, errors[k] the errno of fds[k] (0 when fine; POLLNVAL is EBADF, the others
 * pollError()).
 */
class FramePollWorker : public Napi::AsyncWorker {
 public:
  static constexpr size_t kMaxFrame = 65536;

  FramePollWorker(Napi::Env env, std::vector<int> fds, int timeoutMs, int maxPerFd)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), fds_(std::move(fds)),
        timeoutMs_(timeoutMs), maxPerFd_(maxPerFd), errors_(fds_.size(), 0) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::vector<struct pollfd> p(fds_.size());
    for (size_t k = 0; k < fds_.size(); k++) p[k] = {fds_[k], POLLIN, 0};
    int r;
    do {
      r = ::poll(p.data(), p.size(), timeoutMs_);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      SetError(std::string("poll: ") + std::strerror(errno));
      return;
    }
    if (r == 0) return;
    std::vector<uint8_t> buf(kMaxFrame);
    for (size_t k = 0; k < fds_.size(); k++) {
      const short ev = p[k].revents;
      if (ev & POLLNVAL) { errors_[k] = EBADF; continue; }
      if ((ev & POLLERR) || !(ev & POLLIN)) {
        errors_[k] = pollError(k, ev);
        continue;
      }
      for (int n = 0; n < maxPerFd_; n++) {
        size_t got = 0;
        const Read what = readOne(k, buf, got);
        if (what == Read::kDone) break;
        if (what == Read::kSkip) continue;
        index_.push_back(static_cast<uint16_t>(k));
        lengths_.push_back(static_cast<uint32_t>(got));
        data_.insert(data_.end(), buf.begin(), buf.begin() + got);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("index", copyOut(env, index_));
    out.Set("lengths", copyOut(env, lengths_));
    out.Set("data", copyOut(env, data_));
    out.Set("errors", copyOut(env, errors_));
    addFields(env, out);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 protected:
  enum class Read { kFrame, kSkip, kDone };
  /** One frame of fds_[k] into buf (its length in got); kDone when none is left (an error goes into errors_[k]). */
  virtual Read readOne(size_t k, std::vector<uint8_t>& buf, size_t& got) = 0;
  /** The errno for fds_[k] woken with POLLERR, or without POLLIN (0: none). */
  virtual int pollError(size_t k, short revents) = 0;
  /** The half's own fields of the result. */
  virtual void addFields(Napi::Env, Napi::Object) {}

  /** errors_[k] from a failed read: EAGAIN and EINTR are not errors. */
  void readFailed(size_t k, int err) {
    if (err != EAGAIN && err != EINTR) errors_[k] = err;
  }

  Napi::Promise::Deferred deferred_;
  std::vector<int> fds_;
  int timeoutMs_;
  int maxPerFd_;
  std::vector<uint16_t> index_;
  std::vector<uint32_t> lengths_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> errors_;
};

/** poll(fds: Int32Array, timeoutMs, maxPerFd) with the arguments checked, on a Worker: its promise. */
template <typename Worker>
Napi::Value queuePoll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isTyped(info[0], napi_int32_array)) typeError(env, "fds must be an Int32Array");
  Napi::Int32Array a = info[0].As<Napi::Int32Array>();
  if (a.ElementLength() > 65535) typeError(env, "fds must hold at most 65535 descriptors");
  std::vector<int> fds(a.Data(), a.Data() + a.ElementLength());
  const int timeoutMs = static_cast<int>(integerArg(info, 1, "timeoutMs", -1, 3600000));
  const int maxPerFd = static_cast<int>(integerArg(info, 2, "maxPerFd", 1, 65536));
  Worker* w = new Worker(env, std::move(fds), timeoutMs, maxPerFd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace sipnic
