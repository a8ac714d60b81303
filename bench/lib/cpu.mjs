// CPU time from /proc, for the benchmarks: per process, per program (every postgres backend, say),
// and for the whole machine. Each returns undefined where /proc is not there (not Linux).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const toMs = (ticks) => ((ticks ?? 0) * 1000) / CLOCK_TICKS;

/** The command name and the fields after it of /proc/<pid>/stat. */
function statOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
}

/** CPU time (ms, user + system) a process has used so far. */
export function cpuMsOf(pid) {
  try {
    const { fields } = statOf(pid);
    return toMs(Number(fields[11]) + Number(fields[12]));
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) used so far by every running process whose command name is `comm` (e.g. `postgres`,
 * `redis-server`). Processes that exit between two readings take their time with them: take the
 * difference over a period in which the program's processes live throughout (pooled connections).
 */
export function cpuMsOfProgram(comm) {
  try {
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const { comm: name, fields } = statOf(entry);
        if (name === comm) total += toMs(Number(fields[11]) + Number(fields[12]));
      } catch {
        // exited meanwhile
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

/** CPU time (ms of one core) the whole machine has spent so far: in processes, in interrupts, stolen by the hypervisor. */
export function machineCpuMs() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return { processes: toMs(user + nice + system), interrupts: toMs(irq + softirq), steal: toMs(steal) };
  } catch {
    return undefined;
  }
}
