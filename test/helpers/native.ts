// The addon as the in-tree tests use it: they test the build, so a missing
// one is an error here, never the fallback.
import { loadBinding, type NativeBinding } from '../../src/core/binding';

const loaded = loadBinding();
if (loaded.binding === null) {
  throw new Error(`the in-tree tests need the addon built (npm run build:native): ${loaded.failure.message}`);
}

export const binding: NativeBinding = loaded.binding;
