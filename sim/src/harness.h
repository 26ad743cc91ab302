// Clocked harness around one Verilated sipnic_core: ingress driver, per-queue egress
// collectors, drop recorder, register bus, optional FST trace. One model per harness, used
// from one thread.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "verilated.h"
#include "verilated_fst_c.h"

namespace sipnic {

/** Frames completed since the last collect(), in completion order (see sim/addon.ts). */
struct Results {
  std::vector<uint32_t> ids;
  std::vector<int32_t> queues;
  std::vector<uint8_t> reasons;
  std::vector<uint32_t> lengths;
  std::vector<uint8_t> data;
  std::vector<double> inCycles;
  std::vector<double> outCycles;

  size_t size() const { return ids.size(); }
  void truncate(size_t n, size_t bytes) {
    ids.resize(n), queues.resize(n), reasons.resize(n), lengths.resize(n);
    inCycles.resize(n), outCycles.resize(n), data.resize(bytes);
  }
};

struct BenchResult {
  double frames;
  double cycles;
  double seconds;
};

/** What the Node-API class needs, independent of the model's width. */
class SimHarness {
 public:
  virtual ~SimHarness() = default;
  virtual unsigned width() const = 0;
  virtual unsigned queues() const = 0;
  virtual uint64_t cycles() const = 0;
  virtual uint32_t regRead(uint32_t addr) = 0;
  virtual void regWrite(uint32_t addr, uint32_t value) = 0;
  virtual std::vector<uint32_t> regBatch(const uint32_t* ops, size_t count) = 0;
  virtual void send(const uint8_t* data, size_t bytes, const uint32_t* lengths, size_t count) = 0;
  virtual void sendTransmit(const uint8_t* data, size_t bytes, const uint32_t* lengths, size_t count,
                            uint32_t processor) = 0;
  virtual void setReady(uint32_t mask) = 0;
  virtual void run(uint64_t cycles) = 0;
  virtual uint64_t runUntilIdle(uint64_t maxCycles) = 0;
  virtual Results collect() = 0;
  virtual uint64_t pending() const = 0;
  virtual BenchResult benchNative(const uint8_t* data, size_t bytes, const uint32_t* lengths, size_t count,
                                  uint64_t repeat) = 0;
  virtual void close() = 0;
};

namespace detail {

template <class T>
using Port = std::remove_cv_t<std::remove_reference_t<T>>;

// Bits [lsb, lsb+n) of a Verilated signal, n <= 64: scalars (CData..QData) and VlWide<N>.
template <class T>
inline uint64_t bits(const T& v, unsigned lsb, unsigned n) {
  const uint64_t x = static_cast<uint64_t>(v) >> lsb;
  return n >= 64 ? x : x & ((uint64_t{1} << n) - 1);
}
template <std::size_t N>
inline uint64_t bits(const VlWide<N>& v, unsigned lsb, unsigned n) {
  unsigned word = lsb / 32, off = lsb % 32;
  uint64_t x = static_cast<uint64_t>(v[word]) >> off;
  unsigned have = 32 - off;
  while (have < n && ++word < N) {
    x |= static_cast<uint64_t>(v[word]) << have;
    have += 32;
  }
  return n >= 64 ? x : x & ((uint64_t{1} << n) - 1);
}

template <class T>
struct PortBits {
  static constexpr unsigned value = 8 * sizeof(T);
};
template <std::size_t N>
struct PortBits<VlWide<N>> {
  static constexpr unsigned value = 32 * N;
};

}  // namespace detail

template <class Model>
class Harness final : public SimHarness {
  using TData = detail::Port<decltype(std::declval<Model&>().s_axis_tdata)>;
  using TKeep = detail::Port<decltype(std::declval<Model&>().s_axis_tkeep)>;
  using TReady = detail::Port<decltype(std::declval<Model&>().m_axis_tready)>;

 public:
  // DATA_WIDTH is 8, 32 or 64, so the C type of s_axis_tdata has exactly its width.
  static constexpr unsigned kDataBits = detail::PortBits<TData>::value;
  static constexpr unsigned kBeatBytes = kDataBits / 8;
  // m_axis_tuser is QUEUES*32 bits wide.
  static constexpr unsigned kQueues =
      detail::PortBits<detail::Port<decltype(std::declval<Model&>().m_axis_tuser)>>::value / 32;
  static_assert(kDataBits == 8 || kDataBits == 32 || kDataBits == 64, "DATA_WIDTH must be 8, 32 or 64");
  static_assert(kQueues >= 1 && kQueues <= 32, "QUEUES out of range");

  static constexpr unsigned kResetCycles = 16;
  // most accesses answer in 1..4 cycles; a flow WALK_DATA read that starts a record waits for a
  // read_slot command, behind a host command still running (a clear sweeps every bucket)
  static constexpr uint64_t kRegAckTimeout = 100000;
  static constexpr uint64_t kPollLimit = 1000000;   // reads per poll op

  /** Builds the model, opens the trace when tracePath is non-empty, and resets. */
  explicit Harness(const std::string& tracePath) : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->debug(0);
    ctx_->randReset(0);
    ctx_->fatalOnError(false);
    if (!tracePath.empty()) ctx_->traceEverOn(true);  // before the model is built
    model_ = std::make_unique<Model>(ctx_.get(), "TOP");
    if (!tracePath.empty()) openTrace(tracePath);
    reset();
    cycles_ = 0;
  }

  ~Harness() override {
    try {
      close();
    } catch (...) {
    }
  }

  unsigned width() const override { return kDataBits; }
  unsigned queues() const override { return kQueues; }
  uint64_t cycles() const override { return cycles_; }
  uint64_t pending() const override { return sent_ - completed_; }

  // ---- trace ------------------------------------------------------------------------------
  void openTrace(const std::string& path) {
    // VerilatedFstC does not report a file it cannot create: find out first.
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fclose(f);
    } else {
      throw std::runtime_error("cannot create trace " + path + ": " + std::strerror(errno));
    }
    trace_ = std::make_unique<VerilatedFstC>();
    model_->trace(trace_.get(), 99);
    trace_->open(path.c_str());
    if (!trace_->isOpen()) {
      trace_.reset();
      throw std::runtime_error("cannot open trace " + path);
    }
  }
  void closeTrace() {
    if (trace_) {
      trace_->close();
      trace_.reset();
    }
  }

  // ---- clocking ---------------------------------------------------------------------------
  /** rst high for kResetCycles clocks; forgets every frame in flight. */
  void reset() {
    Model& m = *live();
    m.rst = 1;
    inData_.clear(), inLens_.clear(), inFrame_ = 0, inStart_ = 0, inOff_ = 0;
    txData_.clear(), txLens_.clear(), txProcs_.clear(), txFrame_ = 0, txStart_ = 0, txOff_ = 0;
    for (unsigned i = 0; i < kResetCycles; i++) tick();
    m.rst = 0;
    for (auto& q : egress_) q = Egress{};
    flight_.clear(), awaiting_.clear();
    flightBase_ = 0, acceptId_ = 0, sent_ = 0, completed_ = 0;
    results_ = Results{};
  }

  /** One clock: drive inputs, settle, sample handshakes, rising edge, then bookkeeping. */
  void tick() {
    Model& m = *model_;
    // Ingress beat (a zero-length frame is one beat with tkeep 0 and tlast).
    const bool inValid = inFrame_ < inLens_.size();
    bool inLast = false;
    unsigned inBytes = 0;
    if (inValid) {
      const uint32_t len = inLens_[inFrame_];
      inBytes = std::min<uint32_t>(kBeatBytes, len - inOff_);
      inLast = inOff_ + inBytes >= len;
      uint64_t word = 0;
      std::memcpy(&word, inData_.data() + inStart_ + inOff_, inBytes);  // little-endian host
      m.s_axis_tdata = static_cast<TData>(word);
      m.s_axis_tkeep = static_cast<TKeep>(inBytes >= 64 ? ~uint64_t{0} : (uint64_t{1} << inBytes) - 1);
    }
    m.s_axis_tvalid = inValid;
    m.s_axis_tlast = inLast;
    // Transmit snoop beat: never held, one per clock.
    const bool txValid = txFrame_ < txLens_.size();
    unsigned txBytes = 0;
    bool txLast = false;
    if (txValid) {
      const uint32_t len = txLens_[txFrame_];
      txBytes = std::min<uint32_t>(kBeatBytes, len - txOff_);
      txLast = txOff_ + txBytes >= len;
      uint64_t word = 0;
      std::memcpy(&word, txData_.data() + txStart_ + txOff_, txBytes);
      m.tx_axis_tdata = static_cast<TData>(word);
      m.tx_axis_tkeep = static_cast<TKeep>(txBytes >= 64 ? ~uint64_t{0} : (uint64_t{1} << txBytes) - 1);
      m.tx_processor = static_cast<uint8_t>(txProcs_[txFrame_]);
    }
    m.tx_axis_tvalid = txValid;
    m.tx_axis_tlast = txLast;
    m.m_axis_tready = static_cast<TReady>(ready_);
    m.reg_en = regEn_;
    m.reg_we = regWe_;
    m.reg_addr = regAddr_;
    m.reg_wdata = regWdata_;
    m.clk = 0;
    eval(m);
    if (trace_) trace_->dump(ctx_->time());
    ctx_->timeInc(1);

    // Sample what transfers on this edge.
    const double now = static_cast<double>(cycles_ + 1);
    const bool inAccept = inValid && m.s_axis_tready;
    if (m.reg_ack) regAck_ = true, regRdata_ = m.reg_rdata;
    const uint64_t moving = static_cast<uint64_t>(m.m_axis_tvalid) & ready_;
    if (moving) collectBeats(m, moving, now);
    if (m.drop_valid) complete(m.drop_id, -1, m.drop_reason, nullptr, 0, now);

    m.clk = 1;
    eval(m);
    if (trace_) trace_->dump(ctx_->time());
    ctx_->timeInc(1);
    cycles_++;
    if (ctx_->gotFinish()) {
      dead_ = true;
      closeTrace();
      throw std::runtime_error("the RTL stopped the simulation ($finish, $stop or a fatal error) at cycle " +
                               std::to_string(cycles_));
    }

    if (inAccept) {
      inOff_ += inBytes;
      if (inLast) acceptedLast(now);
    }
    if (txValid) {
      txOff_ += txBytes;
      if (txLast) {
        txStart_ += txLens_[txFrame_];
        txFrame_++;
        txOff_ = 0;
        if (txFrame_ == txLens_.size()) txData_.clear(), txLens_.clear(), txProcs_.clear(), txFrame_ = 0, txStart_ = 0;
      }
    }
  }

  void run(uint64_t n) override {
    live();
    for (uint64_t i = 0; i < n; i++) tick();
  }

  bool idle() const { return sent_ == completed_ && inFrame_ >= inLens_.size() && txFrame_ >= txLens_.size(); }

  uint64_t runUntilIdle(uint64_t maxCycles) override {
    live();
    uint64_t n = 0;
    while (n < maxCycles && !idle()) tick(), n++;
    return n;
  }

  // ---- frames -----------------------------------------------------------------------------
  void send(const uint8_t* data, size_t bytes, const uint32_t* lengths, size_t count) override {
    live();
    if (inFrame_ > 0 && inFrame_ >= inLens_.size() / 2) {  // drop what has been sent
      inData_.erase(inData_.begin(), inData_.begin() + static_cast<std::ptrdiff_t>(inStart_));
      inLens_.erase(inLens_.begin(), inLens_.begin() + static_cast<std::ptrdiff_t>(inFrame_));
      inStart_ = 0, inFrame_ = 0;
    }
    inData_.insert(inData_.end(), data, data + bytes);
    inLens_.insert(inLens_.end(), lengths, lengths + count);
    flight_.insert(flight_.end(), count, InFlight{});
    sent_ += count;
  }

  /** Frames that processor `processor` transmits: driven into the transmit snoop, one beat per clock. */
  void sendTransmit(const uint8_t* data, size_t bytes, const uint32_t* lengths, size_t count,
                    uint32_t processor) override {
    live();
    txData_.insert(txData_.end(), data, data + bytes);
    txLens_.insert(txLens_.end(), lengths, lengths + count);
    txProcs_.insert(txProcs_.end(), count, processor);
  }

  void setReady(uint32_t mask) override {
    live();
    ready_ = kQueues >= 32 ? mask : mask & ((uint32_t{1} << kQueues) - 1);
  }

  Results collect() override {
    live();
    awaiting_.clear();  // frames dropped before their last beat went in keep inCycle NaN
    Results out = std::move(results_);
    results_ = Results{};
    return out;
  }

  // ---- register bus -----------------------------------------------------------------------
  /** One access: reg_en for one clock, then clocks (traffic flowing) until reg_ack. */
  uint32_t regAccess(bool write, uint32_t addr, uint32_t wdata) {
    live();
    regEn_ = 1, regWe_ = write, regAddr_ = static_cast<uint16_t>(addr), regWdata_ = wdata;
    try {
      tick();
    } catch (...) {
      regEn_ = 0;
      throw;
    }
    regEn_ = 0, regWe_ = 0, regAck_ = false;
    for (uint64_t i = 0; i < kRegAckTimeout && !regAck_; i++) tick();
    if (!regAck_) {
      char msg[128];
      std::snprintf(msg, sizeof msg, "register bus: no reg_ack within %llu cycles for %s at 0x%04x",
                    static_cast<unsigned long long>(kRegAckTimeout), write ? "write" : "read", addr);
      throw std::runtime_error(msg);
    }
    regAck_ = false;
    return write ? 0 : regRdata_;
  }
  uint32_t regRead(uint32_t addr) override { return regAccess(false, addr, 0); }
  void regWrite(uint32_t addr, uint32_t value) override { regAccess(true, addr, value); }

  std::vector<uint32_t> regBatch(const uint32_t* ops, size_t count) override {
    std::vector<uint32_t> out(count);
    for (size_t i = 0; i < count; i++) {
      const uint32_t op = ops[3 * i], addr = ops[3 * i + 1], value = ops[3 * i + 2];
      if (op == 0) {
        out[i] = regRead(addr);
      } else if (op == 1) {
        regWrite(addr, value);
      } else {
        uint32_t v = regRead(addr);
        for (uint64_t n = 1; (v & value) != 0; n++) {
          if (n >= kPollLimit) {
            char msg[128];
            std::snprintf(msg, sizeof msg, "regBatch op %zu: 0x%04x & 0x%08x still non-zero after %llu reads", i,
                          addr, value, static_cast<unsigned long long>(kPollLimit));
            throw std::runtime_error(msg);
          }
          v = regRead(addr);
        }
        out[i] = v;
      }
    }
    return out;
  }

  // ---- benchmark --------------------------------------------------------------------------
  /** Pure C++: send the frames `repeat` times, each time run until idle; results discarded. */
  BenchResult benchNative(const uint8_t* data, size_t bytes, const uint32_t* lengths, size_t count,
                          uint64_t repeat) override {
    live();
    const size_t keepResults = results_.size(), keepBytes = results_.data.size();
    const uint64_t limit = 64 * static_cast<uint64_t>(bytes) + 64 * count + 1000000;
    const uint64_t startCycles = cycles_;
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t r = 0; r < repeat; r++) {
      send(data, bytes, lengths, count);
      if (runUntilIdle(limit) >= limit && !idle()) {
        throw std::runtime_error("benchNative: frames still pending after " + std::to_string(limit) + " cycles");
      }
      results_.truncate(keepResults, keepBytes);
    }
    const auto t1 = std::chrono::steady_clock::now();
    return BenchResult{static_cast<double>(count) * static_cast<double>(repeat),
                       static_cast<double>(cycles_ - startCycles), std::chrono::duration<double>(t1 - t0).count()};
  }

  void close() override {
    if (!model_) return;
    bindContext();  // the model's scopes leave the thread's context when they are destroyed
    if (!dead_) model_->final();
    closeTrace();
    model_.reset();
  }

 private:
  struct InFlight {
    double inCycle = std::numeric_limits<double>::quiet_NaN();
    bool accepted = false;  // last beat taken by s_axis
    bool done = false;      // left through a queue or as a drop
  };
  struct Egress {
    std::vector<uint8_t> bytes;
    uint32_t id = 0;
    bool inFrame = false;
  };

  /**
   * Verilator 5 reaches some state through the calling thread's context, not the model's own: the
   * time and error count of a $error, and the scope registry a model leaves when destroyed. Models
   * in one process share the thread, so each points it at its own context before it runs; otherwise
   * a model closed after another's context was destroyed locks a freed mutex and aborts the process.
   */
  void bindContext() { Verilated::threadContextp(ctx_.get()); }

  /** eval(); a fatal error inside the model (it throws, see verilated_rt.cpp) ends this harness. */
  void eval(Model& m) {
    bindContext();
    try {
      m.eval();
    } catch (...) {
      dead_ = true;
      closeTrace();  // keep the waveform up to the failure
      throw;
    }
  }

  Model* live() {
    if (!model_) throw std::runtime_error("the simulator is closed");
    if (dead_) throw std::runtime_error("the simulation has stopped; create a new one");
    return model_.get();
  }

  void collectBeats(Model& m, uint64_t moving, double now) {
    for (unsigned q = 0; q < kQueues; q++) {
      if (!((moving >> q) & 1)) continue;
      Egress& e = egress_[q];
      const uint64_t word = detail::bits(m.m_axis_tdata, q * kDataBits, kDataBits);
      const uint64_t keep = detail::bits(m.m_axis_tkeep, q * kBeatBytes, kBeatBytes);
      if (!e.inFrame) e.id = static_cast<uint32_t>(detail::bits(m.m_axis_tuser, q * 32, 32)), e.inFrame = true;
      for (unsigned b = 0; b < kBeatBytes; b++) {
        if ((keep >> b) & 1) e.bytes.push_back(static_cast<uint8_t>(word >> (8 * b)));
      }
      if ((static_cast<uint64_t>(m.m_axis_tlast) >> q) & 1) {
        complete(e.id, static_cast<int32_t>(q), 0, e.bytes.data(), e.bytes.size(), now);
        e.bytes.clear();
        e.inFrame = false;
      }
    }
  }

  void complete(uint32_t id, int32_t queue, uint8_t reason, const uint8_t* bytes, size_t n, double now) {
    double inCycle = std::numeric_limits<double>::quiet_NaN();
    const uint32_t index = id - flightBase_;
    if (index < flight_.size() && !flight_[index].done) {
      InFlight& f = flight_[index];
      f.done = true;
      completed_++;
      if (f.accepted) inCycle = f.inCycle;
      else awaiting_.emplace_back(id, results_.size());
      popFinished();
    }  // an unknown or repeated id is still reported, so tests see it
    results_.ids.push_back(id);
    results_.queues.push_back(queue);
    results_.reasons.push_back(reason);
    results_.lengths.push_back(static_cast<uint32_t>(n));
    results_.data.insert(results_.data.end(), bytes, bytes + n);
    results_.inCycles.push_back(inCycle);
    results_.outCycles.push_back(now);
  }

  void acceptedLast(double now) {
    const uint32_t index = acceptId_ - flightBase_;
    if (index < flight_.size()) {
      InFlight& f = flight_[index];
      f.accepted = true;
      f.inCycle = now;
      if (f.done) {
        for (auto it = awaiting_.begin(); it != awaiting_.end(); ++it) {
          if (it->first == acceptId_) {
            results_.inCycles[it->second] = now;
            awaiting_.erase(it);
            break;
          }
        }
        popFinished();
      }
    }
    acceptId_++;
    inStart_ += inLens_[inFrame_];
    inFrame_++;
    inOff_ = 0;
    if (inFrame_ == inLens_.size()) inData_.clear(), inLens_.clear(), inFrame_ = 0, inStart_ = 0;
  }

  void popFinished() {
    while (!flight_.empty() && flight_.front().done && flight_.front().accepted) flight_.pop_front(), flightBase_++;
  }

  // Declared in this order so the model is destroyed before its context.
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedFstC> trace_;
  bool dead_ = false;
  uint64_t cycles_ = 0;

  // ingress queue: frames not yet fully accepted
  std::vector<uint8_t> inData_;
  std::vector<uint32_t> inLens_;
  size_t inFrame_ = 0, inStart_ = 0;
  uint32_t inOff_ = 0;
  uint32_t acceptId_ = 0;  // id the frame being sent will get

  // transmit snoop queue: frames not yet fully driven, and their processors
  std::vector<uint8_t> txData_;
  std::vector<uint32_t> txLens_, txProcs_;
  size_t txFrame_ = 0, txStart_ = 0;
  uint32_t txOff_ = 0;

  // frames in flight, by id - flightBase_
  std::deque<InFlight> flight_;
  uint32_t flightBase_ = 0;
  uint64_t sent_ = 0, completed_ = 0;
  std::vector<std::pair<uint32_t, size_t>> awaiting_;  // dropped before their last beat went in

  Egress egress_[kQueues];
  uint32_t ready_ = kQueues >= 32 ? ~uint32_t{0} : (uint32_t{1} << kQueues) - 1;
  Results results_;

  // register bus
  uint8_t regEn_ = 0, regWe_ = 0;
  uint16_t regAddr_ = 0;
  uint32_t regWdata_ = 0, regRdata_ = 0;
  bool regAck_ = false;
};

}  // namespace sipnic
