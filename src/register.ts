// tcp-keepalive/register: the preload's entry point (see integrations/preload.ts).
//
//   node --require tcp-keepalive/register app.js
//   node --import tcp-keepalive/register app.mjs
import { register } from './integrations/preload';

register();
