// The bytes under a SerialBus: a SerialLink is a serial device (openSerialPort, the serialport
// package) or any Node duplex stream (duplexLink); tests bring their own fake.
import type { Duplex } from 'node:stream';
import { BusError } from './bus.js';

/** Bytes to and from the device; SerialBus owns it from construction on. */
export interface SerialLink {
  /** The device path, for messages. */
  readonly path: string;
  /** Sends bytes; resolves once the OS has taken them all (drain). */
  write(bytes: Uint8Array): Promise<void>;
  /** Receives every chunk that arrives, in order. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once when the link goes away underneath (unplugged, closed by the peer). */
  onClose(listener: (err?: Error) => void): void;
  /** Discards bytes received but not yet read, and bytes not yet sent. */
  flush?(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a serial device (8N1, no flow control) with the serialport package. */
export async function openSerialPort(path: string, baudRate: number): Promise<SerialLink> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false, dataBits: 8, stopBits: 1, parity: 'none', rtscts: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    throw new BusError('ENOSIM', `cannot open serial device ${path}: ${(err as Error).message}`, { cause: err });
  }
  // No flush here: it would also throw away what a previous session wrote and the device has
  // not read yet. Bytes a previous session left for us are dropped before each command is sent,
  // or skipped as answers to other sequence numbers.
  return duplexLink(port, path, {
    drain: () => new Promise<void>((resolve, reject) => port.drain((err) => (err ? reject(err) : resolve()))),
    flush: () => new Promise<void>((resolve, reject) => port.flush((err) => (err ? reject(err) : resolve()))),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  });
}

/** A SerialLink over any duplex byte stream (a SerialPort, a mock, a socket). */
export function duplexLink(
  stream: Duplex,
  path: string,
  hooks: { drain?: () => Promise<void>; flush?: () => Promise<void>; close?: () => Promise<void> } = {},
): SerialLink {
  const closeListeners: ((err?: Error) => void)[] = [];
  let closing = false;
  let gone = false;
  const lost = (err?: Error) => {
    if (gone || closing) return;
    gone = true;
    for (const l of closeListeners) l(err);
  };
  stream.on('error', (err: Error) => lost(err));
  stream.on('close', () => lost());
  return {
    path,
    async write(bytes) {
      if (gone) throw new BusError('ECLOSED', `serial device ${path} is closed`);
      await new Promise<void>((resolve, reject) => stream.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => (err ? reject(err) : resolve())));
      await hooks.drain?.();
    },
    onData(listener) {
      stream.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    flush: hooks.flush,
    async close() {
      closing = true;
      if (hooks.close) await hooks.close();
      else stream.destroy();
    },
  };
}
