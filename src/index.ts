export { enableKeepalive, disableKeepalive, getKeepalive } from './keepalive';
export { getKeepaliveStatus } from './status';
export type { KeepaliveOptions, KeepaliveSettings } from './options';
export type { KeepaliveStatus } from './status';
export type { KeepaliveSystemError } from './errors';
