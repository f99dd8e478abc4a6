export { enableKeepalive, disableKeepalive, getKeepalive } from './keepalive';
export type { KeepaliveOptions, KeepaliveSettings } from './options';
export type { KeepaliveSystemError } from './errors';
