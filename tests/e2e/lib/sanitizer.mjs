// The end-to-end tests also run against sanitizer builds of the servers (`make asan`,
// `make tsan`). A sanitizer report in a server must fail the test, not scroll past in a log:
// every child process gets sanitizer settings that end it at the first report with a known
// exit code and write the report into a directory of its own, which is checked when the
// process is gone. Settings are given to every child, sanitized or not; a normal build
// ignores them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The sanitizer the binaries under test were built with (env E2E_SANITIZER): 'address' (ASan+UBSan), 'thread' (TSan), or '' for a normal build. */
export const sanitizer = process.env.E2E_SANITIZER ?? '';

/** Exit code of a process that a sanitizer ended (TSan's default, given to all of them). */
export const SANITIZER_EXIT_CODE = 66;

/**
 * For a test's `skip` option: a reason when the binaries run under one of `sanitizers`
 * (default: any), false otherwise. For tests that cannot mean anything there (memory
 * measured in a process whose allocator is the sanitizer's, tight timing); never loosen a
 * test for the normal build instead.
 */
export function skipUnderSanitizer(reason, sanitizers = ['address', 'thread']) {
  return sanitizers.includes(sanitizer) ? `${reason}: not meaningful under the ${sanitizer} sanitizer` : false;
}

/** `ours` followed by the runner's own setting (which wins where both set an option). */
function withRunnerOptions(ours, variable) {
  const theirs = process.env[variable];
  return theirs ? `${ours}:${theirs}` : ours;
}

/**
 * Every log directory not yet disposed of. When the test file ends, any report in them fails
 * it, even one whose error a test's cleanup swallowed, and the empty ones are removed.
 */
const live = new Set();

process.on('exit', () => {
  for (const logs of live) {
    const text = logs.reports();
    if (!text) {
      fs.rmSync(logs.dir, { recursive: true, force: true });
      continue;
    }
    const body = logs.thrown ? '(printed with the test that stopped it)' : text;
    process.stderr.write(`\n----- sanitizer report of ${logs.what} (kept in ${logs.dir}) -----\n${body}\n----- end -----\n`);
    process.exitCode = 1;
  }
});

/** The reports written into `dir`, concatenated ('' when none). */
function readReports(dir) {
  let names;
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return '';
  }
  return names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8')).join('\n');
}

/**
 * The sanitizer log directory of one child process (or a group of them, such as a server and
 * the CLI runs next to it), described as `what` in messages. `env` goes into the child's
 * environment; `check()` throws once a report is there; `dispose()` removes the directory
 * when it holds none. Any report fails the test file when it exits, checked or not.
 */
export class SanitizerLogs {
  constructor(what) {
    this.what = what;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanitizer-'));
    const file = path.join(this.dir, 'report');
    const common = `halt_on_error=1:exitcode=${SANITIZER_EXIT_CODE}:log_path=${file}`;
    this.env = {
      ASAN_OPTIONS: withRunnerOptions(`${common}:detect_leaks=1:abort_on_error=0`, 'ASAN_OPTIONS'),
      UBSAN_OPTIONS: withRunnerOptions(`${common}:print_stacktrace=1`, 'UBSAN_OPTIONS'),
      TSAN_OPTIONS: withRunnerOptions(`${common}:second_deadlock_stack=1`, 'TSAN_OPTIONS'),
    };
    this.thrown = false;
    live.add(this);
  }

  /** The reports so far ('' when none). */
  reports() {
    return readReports(this.dir);
  }

  /**
   * Throws when a sanitizer has reported, or when `exit` ({ code }) is the sanitizers' exit
   * code under a sanitizer build (a report that could not be written still ends the process
   * that way). The reports then stay on disk.
   */
  check(exit) {
    const text = this.reports();
    const killedBySanitizer = sanitizer !== '' && exit?.code === SANITIZER_EXIT_CODE;
    if (!text && !killedBySanitizer) return;
    this.thrown = true;
    const report = text || `(exit code ${SANITIZER_EXIT_CODE} and no report in ${this.dir})`;
    throw new Error(`sanitizer report from ${this.what} (kept in ${this.dir}):\n${report}`);
  }

  /** Removes the directory unless it holds a report (which then fails the test file at exit). */
  dispose() {
    if (this.reports()) return;
    live.delete(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
