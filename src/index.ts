export { enableKeepalive, disableKeepalive, getKeepalive } from './keepalive';
export type { KeepaliveTarget } from './keepalive';
export { getKeepaliveStatus } from './status';
export type { KeepaliveStatus, TcpState } from './status';
export { getSystemDefaults, detectionTime } from './defaults';
export type { SystemDefaults, DetectionInput } from './defaults';
export type { KeepaliveOptions, KeepaliveSettings } from './options';
export type { KeepaliveErrorCode, KeepaliveSystemError } from './errors';
