// Scratch folders for the end-to-end tests: made under the system's temporary folder and removed
// when the test process ends, so that nodes' databases, IPFS repositories and key files do not pile
// up run after run (they reach gigabytes). CUSTODIA_KEEP_TEST_DIRS=1 keeps them and prints where.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEEP = process.env.CUSTODIA_KEEP_TEST_DIRS === '1';
const made = [];

/** Removes (or, with CUSTODIA_KEEP_TEST_DIRS=1, lists) every folder `scratchDir` made. */
function cleanUp() {
  for (const dir of made.splice(0)) {
    if (KEEP) {
      process.stderr.write(`kept test folder ${dir} (CUSTODIA_KEEP_TEST_DIRS=1)\n`);
      continue;
    }
    // A child still writing into it (a node being killed) can make one pass fail: retry a few times.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (error) {
      process.stderr.write(`could not remove test folder ${dir}: ${error.message}\n`);
    }
  }
}

let registered = false;
function registerCleanUp() {
  if (registered) return;
  registered = true;
  process.on('exit', cleanUp);
  // A signal ends the process without 'exit': clean up, then die of the same signal.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      cleanUp();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * A new, empty folder `<tmpdir>/<prefix>XXXXXX`, removed with everything in it when this process
 * exits (or is stopped by SIGINT, SIGTERM or SIGHUP) unless CUSTODIA_KEEP_TEST_DIRS=1.
 */
export function scratchDir(prefix) {
  registerCleanUp();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
