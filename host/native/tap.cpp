// Node-API binding for Linux TAP devices: class Tap opens /dev/net/tun with TUNSETIFF
// (IFF_TAP | IFF_NO_PI, non-blocking), writes batches of frames; poll() waits on many TAPs in a
// worker thread and returns every frame that was ready, so the JS thread never blocks and an
// idle adapter costs no CPU. The typed API is in host/native/tap.ts. The same addon carries the
// AF_PACKET sockets of packet.cpp (typed in host/native/packet.ts).
#include <napi.h>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "napi_util.h"
#include "packet.h"

namespace {

using sipnic::copyOut;
using sipnic::integerArg;
using sipnic::osError;
using sipnic::typeError;

constexpr size_t kMaxFrame = 65536;  // one read(2) of a TAP returns at most one frame

class Tap : public Napi::ObjectWrap<Tap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Tap",
                       {
                           InstanceAccessor<&Tap::Fd>("fd"),
                           InstanceAccessor<&Tap::Name>("name"),
                           InstanceMethod<&Tap::Write>("write"),
                           InstanceMethod<&Tap::Close>("close"),
                       });
  }

  // new Tap(name): name may hold %d for the kernel to pick a free number ("sn%d")
  explicit Tap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) typeError(env, "name must be a string (an interface name, %d allowed)");
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    if (name.empty() || name.size() >= IFNAMSIZ) typeError(env, "name must have 1 to 15 characters, got \"" + name + "\"");
    fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw osError(env, errno, "open /dev/net/tun");
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd_, TUNSETIFF, &ifr) < 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw osError(env, err, "TUNSETIFF " + name);
    }
    name_ = ifr.ifr_name;
  }

  ~Tap() override {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  Napi::Value Name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }

  // write(data: Uint8Array, lengths: Uint32Array) -> { written, errors, errno }: one write(2)
  // per frame; a frame the kernel refuses (device down: EIO) is counted, not thrown.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw Napi::Error::New(env, "TAP " + name_ + " is closed");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) typeError(env, "data must be a Uint8Array");
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) typeError(env, "lengths must be a Uint32Array");
    Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
    Napi::Uint32Array lengths = info[1].As<Napi::Uint32Array>();
    size_t at = 0;
    uint32_t written = 0, errors = 0;
    int lastErr = 0;
    for (size_t i = 0; i < lengths.ElementLength(); i++) {
      const size_t n = lengths[i];
      if (at + n > data.ByteLength()) typeError(env, "lengths add up to more than data holds");
      const ssize_t r = ::write(fd_, data.Data() + at, n);
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

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;
  std::string name_;
};

// poll(fds: Int32Array, timeoutMs, maxPerFd) -> Promise<{ index: Uint16Array, lengths: Uint32Array,
// data: Uint8Array, errors: Int32Array }>: waits until one fd is readable or the timeout, then
// reads up to maxPerFd frames from every readable fd without blocking. index[i] is the
// position in fds of frame i; errors[k] is the errno of fds[k] (0 when fine, POLLERR/HUP/NVAL
// become EIO/EPIPE/EBADF).
class PollWorker : public Napi::AsyncWorker {
 public:
  PollWorker(Napi::Env env, std::vector<int> fds, int timeoutMs, int maxPerFd)
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
      if (ev & POLLERR) { errors_[k] = EIO; continue; }
      if (!(ev & POLLIN)) {
        if (ev & POLLHUP) errors_[k] = EPIPE;
        continue;
      }
      for (int n = 0; n < maxPerFd_; n++) {
        const ssize_t got = ::read(fds_[k], buf.data(), buf.size());
        if (got < 0) {
          if (errno != EAGAIN && errno != EINTR) errors_[k] = errno;
          break;
        }
        if (got == 0) break;
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
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<int> fds_;
  int timeoutMs_;
  int maxPerFd_;
  std::vector<uint16_t> index_;
  std::vector<uint32_t> lengths_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> errors_;
};

Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) typeError(env, "fds must be an Int32Array");
  Napi::Int32Array a = info[0].As<Napi::Int32Array>();
  if (a.ElementLength() > 65535) typeError(env, "fds must hold at most 65535 descriptors");
  std::vector<int> fds(a.Data(), a.Data() + a.ElementLength());
  const int timeoutMs = static_cast<int>(integerArg(info, 1, "timeoutMs", -1, 3600000));
  const int maxPerFd = static_cast<int>(integerArg(info, 2, "maxPerFd", 1, 65536));
  PollWorker* w = new PollWorker(env, std::move(fds), timeoutMs, maxPerFd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Tap", Tap::Init(env));
  exports.Set("poll", Napi::Function::New(env, Poll, "poll"));
  sipnic::InitPacket(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(sipnic_tap, Init)
