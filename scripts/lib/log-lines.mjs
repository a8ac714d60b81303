// Each service's output, line by line, prefixed with its name; JSON log lines made readable on a terminal.
import { createInterface } from 'node:readline';

const COLOURS = [36, 35, 33, 32, 34, 91, 96];
const LEVEL_COLOURS = { fatal: 41, error: 31, warn: 33, info: 32, debug: 90, trace: 90 };
const width = 21;

export function prefixer(name, index, { pretty = process.stdout.isTTY } = {}) {
  const label = name.padEnd(width);
  const prefix = pretty ? `\x1b[${COLOURS[index % COLOURS.length]}m${label}|\x1b[0m ` : `${label}| `;
  return (line) => `${prefix}${pretty ? readable(line) : line}`;
}

function readable(line) {
  if (!line.startsWith('{')) return line;
  try {
    const { level, time, msg, service: _service, pid: _pid, hostname: _host, ...rest } = JSON.parse(line);
    const clock = typeof time === 'string' ? time.slice(11, 23) : '';
    const colour = LEVEL_COLOURS[level] ?? 0;
    const extras = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${clock} \x1b[${colour}m${String(level).padEnd(5)}\x1b[0m ${msg ?? ''}\x1b[90m${extras}\x1b[0m`;
  } catch {
    return line;
  }
}

/** Pipes a child's stdout and stderr to ours, one prefixed line at a time. */
export function pipeLines(child, format) {
  for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${format(line)}\n`));
  }
}
