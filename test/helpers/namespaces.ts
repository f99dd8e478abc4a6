// Which tests may create network namespaces here. CI runs as root and can;
// elsewhere it may be forbidden. Under CI such tests run regardless, so that
// they fail rather than hide.
import { execFileSync } from 'node:child_process';
import { labSupport } from '../../src/tools/lab';

const inCI = process.env.CI === 'true';

/** Whether this process may create a network namespace (root, unshare). */
function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `test` for tests that run commands under `unshare -n`, `test.skip` where that is impossible outside CI. */
export const namespaceTest = canUnshare() || inCI ? test : test.skip;

/** `test` for tests that need a full lab (veth, nftables), `test.skip` where impossible outside CI. */
export const labTest = labSupport().available || inCI ? test : test.skip;
