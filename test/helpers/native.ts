// The addon as the in-tree tests use it: they test the build, so a missing
// one is an error here, never the fallback.
import { binding as loaded, bindingFailure, type NativeBinding } from '../../src/core/binding';

if (loaded === null) {
  throw new Error(`the in-tree tests need the addon built (npm run build:native): ${bindingFailure?.message}`);
}

export const binding: NativeBinding = loaded;
