export { enableKeepalive, disableKeepalive, getKeepalive } from './keepalive';
export type { KeepaliveTarget } from './keepalive';
export { getKeepaliveStatus } from './core/status';
export type { KeepaliveStatus, TcpState } from './core/status';
export { getSystemDefaults, detectionTime } from './core/defaults';
export type { SystemDefaults, DetectionInput } from './core/defaults';
export type { KeepaliveOptions, KeepaliveSettings } from './core/options';
export type { KeepaliveErrorCode, KeepaliveSystemError } from './core/errors';
export { keepaliveConnector } from './integrations/undici';
