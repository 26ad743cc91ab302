// NOTE for the primary/monitor side (from the data-plane engineer): the socket implementation
// is frame-port-socket.ts (FramePortClient; wire framing in docs/cluster.md). Backward-compatible
// additions there, not in this interface: FramePortClient.onClose(listener) (the adapter went
// away), releaseQueue(q), stats() (the adapter's counters: fast path / via primary per
// processor). One behaviour to know: a TCP SYN (without ACK) handed to processor p with
// deliver() also reaches the watchers of queue p as a 'connection-request' copy, as if the
// adapter had steered it there. A claim ends when its connection closes; a second claimant
// of a claimed queue gets EBUSY.
//
// The adapter's frame port: how the cluster's processes see frames, as a NIC driver would.
//
// In the one-machine cluster the simulated adapter reads the wire TAP, steers every frame and
// writes queue p (p = 1 … processors) straight into processor p's TAP: the fast path, no
// process in between. Queue 0 belongs to the primary management process, which takes its
// frames through this port (ARP, ICMP echo, frames that matched nothing) and answers on the
// wire or hands a frame to a processor's stack (the slow path, counted as "via primary").
// A processor's network monitor watches the connection requests steered to its queue and the
// connections its own stack opens, so it can pin each connection with an exact rule.
//
// This file fixes the contract between the adapter side (host/src/cluster/adapter*.ts) and
// the roles (primary, monitor); the socket implementation lives beside the adapter.

/** A frame seen by a claimant or a watcher. Frames are Ethernet frames without FCS. */
export type FrameEvent =
  /** A frame steered to a queue this client claimed (the primary: queue 0). */
  | { source: 'queue'; queue: number; frame: Uint8Array }
  /** A copy of a TCP SYN without ACK steered to a watched queue (the frame still reaches the TAP). */
  | { source: 'connection-request'; queue: number; frame: Uint8Array }
  /** A copy of a TCP SYN without ACK that a watched processor transmitted (an outgoing open). */
  | { source: 'connection-open'; processor: number; frame: Uint8Array };

export interface FramePort {
  /** Takes queue q: its frames come to onFrame instead of a processor's TAP. */
  claimQueue(queue: number): Promise<void>;
  /** Asks for copies of the connection requests steered to queue q. */
  watchConnectionRequests(queue: number): Promise<void>;
  /** Asks for copies of the SYNs (without ACK) that processor p sends to the wire. */
  watchConnectionOpens(processor: number): Promise<void>;
  onFrame(listener: (event: FrameEvent) => void): void;
  /** Slow path: hands a frame to processor p's stack as if its queue had delivered it. */
  deliver(processor: number, frame: Uint8Array): Promise<void>;
  /**
   * Processor p's own MAC, from its hello: a transport that reaches the processors over
   * Ethernet (frame-port-packet.ts) sends deliver(p) there; the adapter's socket needs none.
   */
  setProcessorMac?(processor: number, mac: Uint8Array): void;
  /** Sends a frame to the clients on the wire (ARP and ICMP answers, RST). */
  transmit(frame: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
