// What `require('tcp-keepalive')` and the preload run, bundled into one file
// (dist/runtime.js, by scripts/bundle.js) so that importing the package costs
// one module, not twenty. dist/index.js and dist/register.js are made to load it;
// both share this one copy, so the preload and the program's own calls meet
// the same state.
export * from './index';
export { register } from './integrations/preload';
