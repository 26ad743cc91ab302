// Node-API binding for Linux packet sockets (AF_PACKET, SOCK_RAW): class PacketSocket is bound
// to one interface with ETH_P_ALL, optionally behind a classic BPF filter (SO_ATTACH_FILTER),
// non-blocking; send() writes batches of frames; pollPackets() waits on many sockets in a worker
// thread and returns every frame that was ready with the direction the kernel reports
// (sockaddr_ll.sll_pkttype), so the JS thread never blocks and an idle socket costs no CPU.
// Part of the same addon as tap.cpp; the typed API is in host/native/packet.ts.
#include <napi.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "napi_util.h"
#include "packet.h"

namespace sipnic {

namespace {

constexpr size_t kMaxFrame = 65536;

bool isTyped(const Napi::Value& v, napi_typedarray_type t) { return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == t; }

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {
                           InstanceAccessor<&PacketSocket::Fd>("fd"),
                           InstanceAccessor<&PacketSocket::Name>("name"),
                           InstanceAccessor<&PacketSocket::Index>("ifindex"),
                           InstanceAccessor<&PacketSocket::Mac>("mac"),
                           InstanceMethod<&PacketSocket::Send>("send"),
                           InstanceMethod<&PacketSocket::Close>("close"),
                       });
  }

  // new PacketSocket(name, filter?: Uint32Array of (code, jt, jf, k) per instruction)
  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) typeError(env, "interface must be a string (an interface name like eth0)");
    name_ = info[0].As<Napi::String>().Utf8Value();
    if (name_.empty() || name_.size() >= IFNAMSIZ) typeError(env, "interface must have 1 to 15 characters, got \"" + name_ + "\"");
    std::vector<struct sock_filter> program;
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
      if (!isTyped(info[1], napi_uint32_array)) typeError(env, "filter must be a Uint32Array of (code, jt, jf, k) quadruples");
      Napi::Uint32Array f = info[1].As<Napi::Uint32Array>();
      const size_t n = f.ElementLength() / 4;
      if (f.ElementLength() % 4 != 0 || n == 0 || n > BPF_MAXINSNS) typeError(env, "filter must hold 1 to 4096 instructions of 4 numbers each");
      for (size_t i = 0; i < n; i++) {
        const uint32_t code = f[4 * i], jt = f[4 * i + 1], jf = f[4 * i + 2];
        if (code > 0xffff || jt > 0xff || jf > 0xff) typeError(env, "filter instruction " + std::to_string(i) + ": code must fit 16 bits, jt and jf 8 bits");
        program.push_back({static_cast<uint16_t>(code), static_cast<uint8_t>(jt), static_cast<uint8_t>(jf), f[4 * i + 3]});
      }
    }
    ifindex_ = static_cast<int>(::if_nametoindex(name_.c_str()));
    if (ifindex_ == 0) throw osError(env, errno, "no interface " + name_);
    // protocol 0 receives nothing until bind: the filter is in place before the first frame
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw osError(env, errno, "socket(AF_PACKET) for " + name_);
    if (!program.empty()) {
      struct sock_fprog prog = {static_cast<unsigned short>(program.size()), program.data()};
      if (::setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) fail(env, "SO_ATTACH_FILTER on " + name_);
    }
    struct sockaddr_ll sll;
    std::memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex_;
    if (::bind(fd_, reinterpret_cast<struct sockaddr*>(&sll), sizeof sll) < 0) fail(env, "bind AF_PACKET to " + name_);
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd_, SIOCGIFHWADDR, &ifr) < 0) fail(env, "SIOCGIFHWADDR " + name_);
    std::memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
  }

  ~PacketSocket() override {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  [[noreturn]] void fail(Napi::Env env, const std::string& what) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw osError(env, err, what);
  }

  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  Napi::Value Name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }
  Napi::Value Index(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }
  Napi::Value Mac(const Napi::CallbackInfo& info) {
    Napi::Uint8Array m = Napi::Uint8Array::New(info.Env(), 6);
    std::memcpy(m.Data(), mac_, 6);
    return m;
  }

  // send(data: Uint8Array, lengths: Uint32Array) -> { written, errors, errno }: one send(2) per
  // frame on the bound interface; a frame the kernel refuses (interface down, full queue) is
  // counted, not thrown.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw Napi::Error::New(env, "packet socket on " + name_ + " is closed");
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
        r = ::send(fd_, data.Data() + at, n, 0);
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

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int ifindex_ = 0;
  uint8_t mac_[6] = {0, 0, 0, 0, 0, 0};
  std::string name_;
};

// pollPackets(fds: Int32Array, timeoutMs, maxPerFd) -> Promise<{ index, lengths, data, pkttype,
// errors }>: as tap.cpp's poll, read with recvfrom so each frame carries its sll_pkttype
// (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4). A frame longer than the
// buffer is dropped and counted in truncated.
class PacketPollWorker : public Napi::AsyncWorker {
 public:
  PacketPollWorker(Napi::Env env, std::vector<int> fds, int timeoutMs, int maxPerFd)
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
      if (ev & POLLERR) {
        // a packet socket reports e.g. ENETDOWN through SO_ERROR
        int soErr = 0;
        socklen_t len = sizeof soErr;
        errors_[k] = ::getsockopt(fds_[k], SOL_SOCKET, SO_ERROR, &soErr, &len) == 0 && soErr ? soErr : EIO;
        continue;
      }
      if (!(ev & POLLIN)) continue;
      for (int n = 0; n < maxPerFd_; n++) {
        struct sockaddr_ll from;
        socklen_t fromLen = sizeof from;
        const ssize_t got = ::recvfrom(fds_[k], buf.data(), buf.size(), MSG_TRUNC, reinterpret_cast<struct sockaddr*>(&from), &fromLen);
        if (got < 0) {
          if (errno != EAGAIN && errno != EINTR) errors_[k] = errno;
          break;
        }
        if (static_cast<size_t>(got) > buf.size()) { truncated_++; continue; }
        index_.push_back(static_cast<uint16_t>(k));
        lengths_.push_back(static_cast<uint32_t>(got));
        pkttype_.push_back(from.sll_pkttype);
        data_.insert(data_.end(), buf.begin(), buf.begin() + got);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("index", copyOut(env, index_));
    out.Set("lengths", copyOut(env, lengths_));
    out.Set("pkttype", copyOut(env, pkttype_));
    out.Set("data", copyOut(env, data_));
    out.Set("errors", copyOut(env, errors_));
    out.Set("truncated", truncated_);
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
  std::vector<uint8_t> pkttype_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> errors_;
  uint32_t truncated_ = 0;
};

Napi::Value PollPackets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!isTyped(info[0], napi_int32_array)) typeError(env, "fds must be an Int32Array");
  Napi::Int32Array a = info[0].As<Napi::Int32Array>();
  if (a.ElementLength() > 65535) typeError(env, "fds must hold at most 65535 descriptors");
  std::vector<int> fds(a.Data(), a.Data() + a.ElementLength());
  const int timeoutMs = static_cast<int>(integerArg(info, 1, "timeoutMs", -1, 3600000));
  const int maxPerFd = static_cast<int>(integerArg(info, 2, "maxPerFd", 1, 65536));
  PacketPollWorker* w = new PacketPollWorker(env, std::move(fds), timeoutMs, maxPerFd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitPacket(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Init(env));
  exports.Set("pollPackets", Napi::Function::New(env, PollPackets, "pollPackets"));
}

}  // namespace sipnic
