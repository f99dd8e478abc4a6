// The backend of the native addon: one call per operation, values in the
// kernel's units, failures as -(errno | option << 16) turned into Node-shaped
// system errors here.
import {
  decodeFailure,
  NativeOption,
  STATUS_FIELD_COUNT,
  StatusField,
  statusReads,
  MISSING,
  type NativeBinding,
} from '../binding';
import type { Backend, Enable, ListenerWriter, Reader } from '../backend';
import { featureUnavailable, systemError } from '../errors';
import { createValidator, type KeepaliveSettings, type KernelValues } from '../options';
import { descriptorOf } from '../node-internals';
import type { KeepaliveStatus, TcpState } from '../status';
import type { SystemDefaults } from '../defaults';

/** The system-wide values systemDefaults reads, by field, for its errors. */
const defaultSources = ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'] as const;

export function nativeBackend(binding: NativeBinding): Backend {
  /** Throws the Node-shaped system error for a failure status of set/get (small, for V8 to inline: failed builds it). */
  function throwIfFailed(status: number, syscall: 'setsockopt' | 'getsockopt'): void {
    if (status !== 0) throw failed(status, syscall);
  }

  function failed(status: number, syscall: 'setsockopt' | 'getsockopt'): Error {
    const { errno, option } = decodeFailure(status);
    return systemError(errno, syscall, binding.optionNames[option] ?? `option ${option}`);
  }

  /** One native call: the values, then SO_KEEPALIVE. */
  function setDescriptor(fd: number, values: KernelValues, enable: Enable): void {
    throwIfFailed(binding.set(fd, values[0], values[1], values[2], values[3], enable), 'setsockopt');
  }

  // Where the binding writes what it reads; calls are synchronous, so one buffer of each serves all.
  const settingsBuffer = new Int32Array(NativeOption.Enable + 1);
  const statusBuffer = new Uint32Array(STATUS_FIELD_COUNT);

  const reader: Reader = {
    get(fd): KeepaliveSettings {
      throwIfFailed(binding.get(fd, settingsBuffer), 'getsockopt');
      const userTimeout = settingsBuffer[NativeOption.UserTimeout];
      return {
        enabled: settingsBuffer[NativeOption.Enable] !== 0,
        idle: settingsBuffer[NativeOption.Idle] * 1000,
        interval: settingsBuffer[NativeOption.Interval] * 1000,
        count: settingsBuffer[NativeOption.Count],
        userTimeout: userTimeout === MISSING ? undefined : userTimeout,
      };
    },

    status(fd): KeepaliveStatus {
      if (!binding.statusAvailable) throw featureUnavailable('getKeepaliveStatus (TCP_INFO)');
      const status = binding.status(fd, statusBuffer);
      if (status !== 0) {
        const { errno, option } = decodeFailure(status);
        const read = statusReads[option];
        throw systemError(errno, read.syscall, read.name);
      }
      const raw = statusBuffer;
      const stateNumber = raw[StatusField.State];
      const queued = raw[StatusField.SendQueue];
      const notSent = raw[StatusField.NotSent];
      return {
        state: (binding.tcpStates[stateNumber] as TcpState | undefined) ?? `UNKNOWN_${stateNumber}`,
        unansweredProbes: raw[StatusField.Probes],
        retransmits: raw[StatusField.Retransmits],
        sinceDataReceived: raw[StatusField.LastDataReceived],
        sinceAckReceived: raw[StatusField.LastAckReceived],
        sinceDataSent: raw[StatusField.LastDataSent],
        unacknowledgedBytes: queued - notSent,
        unsentBytes: notSent,
        unacknowledgedSegments: raw[StatusField.UnackedSegments],
        rtt: raw[StatusField.RttMicroseconds] / 1000,
        rto: raw[StatusField.RtoMicroseconds] / 1000,
      };
    },

    systemDefaults(): SystemDefaults {
      const out = new Int32Array(defaultSources.length);
      const status = binding.systemDefaults(out);
      if (status !== 0) {
        const { errno, option } = decodeFailure(status);
        throw systemError(errno, 'read', defaultSources[option] ?? `field ${option}`);
      }
      const [idle, interval, count] = out;
      if (idle === MISSING || interval === MISSING || count === MISSING) {
        throw featureUnavailable('system-wide keepalive defaults');
      }
      // Converted here, where doubles hold any value the kernel takes.
      const unit = binding.defaultTimeUnitMs;
      return { idle: idle * unit, interval: interval * unit, count };
    },
  };

  const listener: ListenerWriter = {
    set: setDescriptor,
    /**
     * Linux's TCP_INFO reports a listening socket's accept-queue length in
     * tcpi_unacked. Read after the listener was configured: the count includes
     * every connection copied before that.
     */
    acceptQueueLength(fd) {
      if (!binding.statusAvailable || binding.status(fd, statusBuffer) !== 0) return undefined;
      return statusBuffer[StatusField.UnackedSegments];
    },
  };

  return {
    name: 'native',
    platform: binding,
    toKernelValues: createValidator(binding),
    set: (handle, values, enable) => setDescriptor(descriptorOf(handle), values, enable),
    listener: binding.acceptInherits ? listener : null,
    reader,
    unavailable: { reason: '', reads: '', cause: null },
  };
}
