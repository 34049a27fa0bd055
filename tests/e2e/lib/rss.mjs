// Resident memory of a server process under test, from /proc/<pid>/status: what an attack
// costs is the peak RSS while it runs minus the RSS before it. The kernel's own high-water
// mark (VmHWM, reset through /proc/<pid>/clear_refs) catches a peak between two samples;
// where it cannot be reset, samples taken every few milliseconds stand in for it.

import fs from 'node:fs';

const MiB = 1024 * 1024;

/** A field of /proc/<pid>/status given in kB (VmRSS, VmHWM), in bytes. */
function statusBytes(pid, field) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** The resident set size of process `pid`, in bytes. */
export function rssBytes(pid) {
  return statusBytes(pid, 'VmRSS');
}

/** Resets the peak RSS (VmHWM) of `pid` to its current RSS; false where the kernel refuses. */
function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts watching the RSS of `pid`. stop() returns
 * { baseline, peak, growth } in bytes and `text`, a summary in MiB for test diagnostics.
 */
export function watchRss(pid, { sampleMs = 10 } = {}) {
  const peakResettable = resetPeak(pid);
  const baseline = rssBytes(pid);
  let sampled = baseline;
  const sample = () => {
    try {
      sampled = Math.max(sampled, rssBytes(pid));
    } catch {
      // The process is gone; its exit is reported by whoever awaits it.
    }
  };
  const timer = setInterval(sample, sampleMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let peak = sampled;
      if (peakResettable) {
        try {
          peak = Math.max(peak, statusBytes(pid, 'VmHWM'));
        } catch {
          // as above
        }
      }
      const growth = peak - baseline;
      const mib = (n) => (n / MiB).toFixed(1);
      return { baseline, peak, growth, text: `RSS ${mib(baseline)} MiB -> peak ${mib(peak)} MiB (+${mib(growth)} MiB)` };
    },
  };
}

export { MiB };
