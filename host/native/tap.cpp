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
#include <cstring>
#include <string>
#include <vector>

#include "frame_io.h"
#include "napi_util.h"
#include "packet.h"

namespace {

using sipnic::osError;
using sipnic::typeError;

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
    if (fd_ < 0) throw Napi::Error::New(info.Env(), "TAP " + name_ + " is closed");
    return sipnic::writeFrames(info, [this](const uint8_t* bytes, size_t n) { return ::write(fd_, bytes, n); });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;
  std::string name_;
};

// poll(fds: Int32Array, timeoutMs, maxPerFd) -> Promise<{ index, lengths, data, errors }>
// (frame_io.h): a TAP's read(2) returns one frame; POLLERR is EIO, a hang-up EPIPE.
class PollWorker : public sipnic::FramePollWorker {
 public:
  using FramePollWorker::FramePollWorker;

 protected:
  Read readOne(size_t k, std::vector<uint8_t>& buf, size_t& got) override {
    const ssize_t r = ::read(fds_[k], buf.data(), buf.size());
    if (r < 0) readFailed(k, errno);
    if (r <= 0) return Read::kDone;
    got = static_cast<size_t>(r);
    return Read::kFrame;
  }

  int pollError(size_t, short revents) override { return (revents & POLLERR) ? EIO : (revents & POLLHUP) ? EPIPE : 0; }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Tap", Tap::Init(env));
  exports.Set("poll", Napi::Function::New(env, sipnic::queuePoll<PollWorker>, "poll"));
  sipnic::InitPacket(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(sipnic_tap, Init)
