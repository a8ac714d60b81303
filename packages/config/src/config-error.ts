/** One environment variable that is missing or malformed. Never carries the value: it may be a secret. */
export interface ConfigProblem {
  variable: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(service: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.reason}`);
    super(`${service} cannot start: its configuration is incomplete or wrong.\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
