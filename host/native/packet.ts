// The typed API of packet.cpp (AF_PACKET sockets), loaded through tap.ts's loading point: both
// live in one addon, host/native/build/Release/sipnic_tap.node.
import { loadNativeAddon } from './tap.js';

/** sockaddr_ll.sll_pkttype: how the kernel classed a frame the socket saw (linux/if_packet.h). */
export const PACKET_TYPE = { host: 0, broadcast: 1, multicast: 2, otherhost: 3, outgoing: 4 } as const;

/** What one send() of a batch did: frames the kernel took, frames it refused (and the last errno). */
export interface PacketSendResult {
  written: number;
  errors: number;
  errno: number;
}

/** A packet socket (AF_PACKET, SOCK_RAW, ETH_P_ALL, non-blocking) bound to one interface. */
export interface PacketSocket {
  readonly fd: number;
  readonly name: string;
  readonly ifindex: number;
  /** The interface's MAC address when the socket was opened. */
  readonly mac: Uint8Array;
  /** One send(2) per frame on the interface: data holds the frames back to back, lengths their sizes. */
  send(data: Uint8Array, lengths: Uint32Array): PacketSendResult;
  close(): void;
}

/** Frames read by one poll, in fd order; index[i] is the position in fds of frame i, pkttype[i] its PACKET_TYPE. */
export interface PacketPollResult {
  index: Uint16Array;
  lengths: Uint32Array;
  pkttype: Uint8Array;
  data: Uint8Array;
  /** Per fd: 0, or the errno that fd reported (SO_ERROR on POLLERR, e.g. ENETDOWN; EBADF). */
  errors: Int32Array;
  /** Frames longer than 65,536 bytes, dropped. */
  truncated: number;
}

/** A classic BPF program: instructions as (code, jt, jf, k), 4 numbers each (struct sock_filter). */
export type BpfProgram = readonly (readonly [code: number, jt: number, jf: number, k: number])[];

/**
 * Opens a packet socket on interface `name` (needs CAP_NET_RAW). With a filter, the kernel
 * attaches it before the socket is bound, so no frame reaches the socket unfiltered.
 */
export function openPacketSocket(name: string, filter?: BpfProgram): PacketSocket {
  const Ctor = loadNativeAddon().PacketSocket as new (name: string, filter?: Uint32Array) => PacketSocket;
  return new Ctor(name, filter ? Uint32Array.from(filter.flat()) : undefined);
}

/**
 * Waits in a worker thread until one of fds is readable (or timeoutMs), then reads up to
 * maxPerFd frames from each readable fd without blocking.
 */
export function pollPackets(fds: Int32Array, timeoutMs: number, maxPerFd = 256): Promise<PacketPollResult> {
  return loadNativeAddon().pollPackets(fds, timeoutMs, maxPerFd) as Promise<PacketPollResult>;
}
