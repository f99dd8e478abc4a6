// Keeping what was set through Node's own setKeepAlive calls, field by field.
//
// Node calls the TCP handle's setKeepAlive on connect, on accepted sockets of
// servers made with keepAlive: true, and (through http.Agent) whenever a
// socket returns to the pool; each call resets idle and (libuv 1.49+) sets
// interval 1 s and count 10. A program calls it too (pg, mongodb and ioredis
// set their own idle this way). The hold keeps exactly the fields that were
// asked for and lets every other one be the program's: the call goes through,
// then the held fields are written again. When all three fields the call sets
// are held, it would change nothing, and makes no syscall at all.
//
// It also keeps Node's own record of setKeepAlive (the kSetKeepAlive symbols
// on the socket, which Node uses to skip repeated calls and replays on a new
// connection) in step, and puts the program's record back when a socket's
// connection ends. Both are Node internals, reached through node-internals.ts.
import type * as net from 'node:net';
import {
  callNodeSetKeepAlive,
  classSetKeepAlive,
  overrideHandleSetKeepAlive,
  readNodeRecord,
  restoreHandleSetKeepAlive,
  nodeRecordIs,
  updateNodeRecord,
  setStateOn,
  stateOn,
  writeNodeRecord,
  type NodeRecord,
  type TcpHandle,
} from './node-internals';
import { backend, ON, type Enable } from './backend';
import { NativeOption, UNCHANGED } from './binding';
import { mergeValues, type KernelValues } from './options';

/** What the library keeps on a handle it configured (node-internals puts it there: stateOn). */
export interface HandleState {
  /** The fields held, UNCHANGED where the program decides; undefined while nothing is held. */
  held: KernelValues | undefined;
  /**
   * The last socket whose Node record this handle's hold wrote, and its entry
   * in programRecords: on a repeated call, no WeakMap lookup.
   */
  recordOf: net.Socket | undefined;
  record: ProgramRecord | undefined;
  /** The last socket given the 'close' listener that puts its record back (apply.ts). */
  restoringFor: net.Socket | undefined;
}

/** The library's state on `handle`, made on first use. */
export function handleState(handle: TcpHandle): HandleState {
  let state = stateOn<HandleState>(handle);
  if (state === undefined) {
    state = { held: undefined, recordOf: undefined, record: undefined, restoringFor: undefined };
    setStateOn(handle, state);
  }
  return state;
}

/** Set while only Node's record is being updated: the handle's call must do nothing then. */
let recording = false;

function warn(error: unknown): void {
  process.emitWarning(`keepalive could not be restored after setKeepAlive: ${(error as Error).message}`, {
    code: 'TCP_KEEPALIVE_HOLD',
  });
}

/**
 * Put on the handle as an own property while fields are held. `delay` is in
 * the handle's own unit (seconds; Bun's milliseconds) and passed on as given.
 */
function heldSetKeepAlive(this: TcpHandle, enable: boolean, delay: number, ...rest: number[]): number | boolean {
  if (recording) return 0;
  const original = classSetKeepAlive(this);
  const held = stateOn<HandleState>(this)?.held;
  if (held === undefined) return original.call(this, enable, delay, ...rest);
  if (!enable) {
    release(this);
    return original.call(this, false, delay, ...rest);
  }
  const idle = held[NativeOption.Idle];
  const interval = held[NativeOption.Interval];
  const count = held[NativeOption.Count];
  if (idle !== UNCHANGED && interval !== UNCHANGED && count !== UNCHANGED) return 0;
  const status = original.call(this, true, delay, ...rest);
  if (idle !== UNCHANGED || interval !== UNCHANGED || count !== UNCHANGED) {
    // Inside the program's own call: a failure is reported, never thrown.
    try {
      backend().set(this, [idle, interval, count, UNCHANGED], ON);
    } catch (error) {
      warn(error);
    }
  }
  return status;
}

/**
 * What the program's record was before the library first wrote it, and what
 * the library wrote last; `live` until it is put back (a handle's cached
 * entry is then stale).
 */
interface ProgramRecord {
  readonly before: NodeRecord;
  readonly written: NodeRecord;
  live: boolean;
}

const programRecords = new WeakMap<net.Socket, ProgramRecord>();

/**
 * Puts back the record the program had before the library wrote its own,
 * unless the program has changed it since: the next connection of this
 * socket then gets from Node exactly what the program asked Node for, and
 * none of the library's settings. Writes only the record (no syscall).
 */
export function restoreProgramRecord(socket: net.Socket, emitter: net.Socket = socket): void {
  const entry = programRecords.get(socket);
  if (entry === undefined) return;
  programRecords.delete(socket);
  entry.live = false;
  // Only bookkeeping, and never worth an exception in a 'close' or connect().
  try {
    const now = readNodeRecord(emitter);
    if (now !== undefined && now.enabled === entry.written.enabled && now.delayMs === entry.written.delayMs) {
      writeNodeRecord(emitter, entry.before.enabled, entry.before.delayMs);
    }
  } catch {
    // As said.
  }
}

/**
 * Brings Node's own record of the keepalive state (kSetKeepAlive and its
 * delay, which it uses to skip repeated calls) in line with the kernel, with
 * no syscall: the handle's call, reached through heldSetKeepAlive, does nothing.
 * `delayMs` is whole seconds (a held idle) or a delay read from the record,
 * so the record holds it exactly.
 */
function recordInNode(socket: net.Socket, state: HandleState, enabled: boolean, delayMs: number): void {
  // The handle wrote this socket's record last (a repeated enableKeepalive):
  // compared and, where it differs, written in one step.
  const known = state.recordOf === socket ? state.record : undefined;
  if (known !== undefined && known.live) {
    const outcome = updateNodeRecord(socket, enabled, delayMs);
    if (outcome === 'written') {
      known.written.enabled = enabled;
      known.written.delayMs = delayMs;
    }
    if (outcome !== 'not found') return;
  }
  recordFirst(socket, state, enabled, delayMs);
}

/** recordInNode, where this handle has not written this socket's record yet, its entry was put back since, or the record is not found. */
function recordFirst(socket: net.Socket, state: HandleState, enabled: boolean, delayMs: number): void {
  // Already so: nothing to write, nothing to remember.
  const same = nodeRecordIs(socket, enabled, delayMs);
  if (same === true) return;
  if (same === false) {
    const entry = entryFor(socket, state, enabled, delayMs);
    if (entry !== undefined) {
      entry.written.enabled = enabled;
      entry.written.delayMs = delayMs;
    }
    if (writeNodeRecord(socket, enabled, delayMs)) return;
  }
  recordThroughNode(socket, enabled, delayMs);
}

/** The socket's entry in programRecords, made now if it has none (the record before the library's first write), and cached on the handle. */
function entryFor(socket: net.Socket, state: HandleState, enabled: boolean, delayMs: number): ProgramRecord | undefined {
  let entry = programRecords.get(socket);
  if (entry === undefined) {
    const before = readNodeRecord(socket);
    if (before !== undefined) programRecords.set(socket, (entry = { before, written: { enabled, delayMs }, live: true }));
  }
  state.recordOf = socket;
  state.record = entry;
  return entry;
}

/** A Node that keeps its record elsewhere: its own call updates it, with the handle's call muted. */
function recordThroughNode(socket: net.Socket, enabled: boolean, delayMs: number): void {
  recording = true;
  try {
    callNodeSetKeepAlive(socket, enabled, delayMs);
  } finally {
    recording = false;
  }
}

/**
 * After `values` and `enable` were written to `handle`: holds the fields set
 * in `values` (adding to those held before), or with keepalive off, ends the
 * hold. Node's record is updated either way, so its next setKeepAlive(false)
 * or (true, other delay) is not skipped.
 */
export function hold(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  const state = stateOn<HandleState>(handle);
  // Holding already (so the handle has heldSetKeepAlive: release() takes both away together).
  if (state !== undefined && state.held !== undefined && enable === ON) holdAgain(socket, handle, state, values);
  else holdFirst(socket, handle, values, enable);
}

/** hold, where `state` holds already and keepalive stays on: the common case (enableSocket's straight line calls it). */
export function holdAgain(socket: net.Socket, handle: TcpHandle, state: HandleState, values: KernelValues): void {
  const held = state.held!;
  mergeValues(held, values);
  const idle = held[NativeOption.Idle];
  if (idle !== UNCHANGED) recordInNode(socket, state, true, idle * 1000);
  else holdFirst(socket, handle, values, ON);
}

/**
 * hold, for a first call, for keepalive off, and while idle is not held (the
 * values were then merged into those held already, by hold).
 */
function holdFirst(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  overrideHandleSetKeepAlive(handle, heldSetKeepAlive);
  const state = handleState(handle);
  if (enable !== ON) {
    recordInNode(socket, state, false, 0);
    release(handle, state);
    return;
  }
  state.held ??= [...values];
  const idle = state.held[NativeOption.Idle];
  if (idle !== UNCHANGED) return recordInNode(socket, state, true, idle * 1000);
  // Idle is not held: Node's record keeps the program's delay (so a later
  // identical call of the program's is still skipped, and a new connection of
  // this socket gets it). With none, "on, delay 0": a setKeepAlive(true)
  // without a delay only turns SO_KEEPALIVE on, which it already is.
  const current = readNodeRecord(socket);
  recordInNode(socket, state, true, current?.enabled ? current.delayMs : 0);
}

/** Ends the hold: Node's setKeepAlive calls reach the kernel unchanged again. */
function release(handle: TcpHandle, state: HandleState | undefined = stateOn<HandleState>(handle)): void {
  if (state !== undefined) state.held = undefined;
  restoreHandleSetKeepAlive(handle);
}
