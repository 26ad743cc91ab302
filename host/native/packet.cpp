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
#include <cstring>
#include <string>
#include <vector>

#include "frame_io.h"
#include "napi_util.h"
#include "packet.h"

namespace sipnic {

namespace {

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
    if (fd_ < 0) throw Napi::Error::New(info.Env(), "packet socket on " + name_ + " is closed");
    return writeFrames(info, [this](const uint8_t* bytes, size_t n) { return ::send(fd_, bytes, n, 0); });
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
// errors, truncated }> (frame_io.h), read with recvfrom so each frame carries its sll_pkttype
// (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4). A frame longer than the
// buffer is dropped and counted in truncated; POLLERR is the socket's SO_ERROR (e.g. ENETDOWN).
class PacketPollWorker : public FramePollWorker {
 public:
  using FramePollWorker::FramePollWorker;

 protected:
  Read readOne(size_t k, std::vector<uint8_t>& buf, size_t& got) override {
    struct sockaddr_ll from;
    socklen_t fromLen = sizeof from;
    const ssize_t r = ::recvfrom(fds_[k], buf.data(), buf.size(), MSG_TRUNC, reinterpret_cast<struct sockaddr*>(&from), &fromLen);
    if (r < 0) {
      readFailed(k, errno);
      return Read::kDone;
    }
    if (static_cast<size_t>(r) > buf.size()) {
      truncated_++;
      return Read::kSkip;
    }
    got = static_cast<size_t>(r);
    pkttype_.push_back(from.sll_pkttype);
    return Read::kFrame;
  }

  int pollError(size_t k, short revents) override {
    if (!(revents & POLLERR)) return 0;
    int soErr = 0;
    socklen_t len = sizeof soErr;
    return ::getsockopt(fds_[k], SOL_SOCKET, SO_ERROR, &soErr, &len) == 0 && soErr ? soErr : EIO;
  }

  void addFields(Napi::Env env, Napi::Object out) override {
    out.Set("pkttype", copyOut(env, pkttype_));
    out.Set("truncated", truncated_);
  }

 private:
  std::vector<uint8_t> pkttype_;
  uint32_t truncated_ = 0;
};

}  // namespace

void InitPacket(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Init(env));
  exports.Set("pollPackets", Napi::Function::New(env, queuePoll<PacketPollWorker>, "pollPackets"));
}

}  // namespace sipnic
