import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { EventEmitter } from 'node:events';

export function jestPreset(configUrl: string, overrides?: Record<string, unknown>): Record<string, unknown>;

export function waitFor<T>(
  probe: () => T | Promise<T>,
  options?: { timeoutMs?: number; intervalMs?: number; what?: string },
): Promise<Exclude<T, undefined | null | false>>;

export function nextEvent(emitter: EventEmitter, event: string, timeoutMs?: number): Promise<unknown>;

export function logCapture(): {
  destination: { write(line: string): void };
  // Log lines are whatever JSON the code wrote; tests read them freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lines: Array<Record<string, any>>;
  text(): string;
};

/** The ways `value` breaks the schema at `pointer` of `openapi/<specFile>`; empty when it conforms. */
export function schemaViolations(specFile: string, pointer: string, value: unknown): string[];

export interface TestIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  readonly jwksRequests: number;
  sign(claims?: Record<string, unknown>, options?: { expiresIn?: string | number; typ?: string; key?: CryptoKey; kid?: string }): Promise<string>;
  foreignKey(): Promise<CryptoKey>;
  close(): Promise<void>;
}

/** A stand-in enterprise issuer: a real key pair, its JWKS over HTTP, and access tokens signed with it. */
export function startTestIssuer(options?: { issuer?: string; audience?: string }): Promise<TestIssuer>;

/** A TCP port nothing listens on right now; `avoid` skips ports others expect to take. */
export function freePort(options?: { avoid?: ReadonlySet<number> }): Promise<number>;

export interface BuiltService {
  child: ChildProcess;
  /** The address it was asked to answer at (its health URL's origin). */
  url: string;
  /** The end of what it wrote to standard error (when stdio pipes it). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `stopTimeoutMs`. */
  stop(): Promise<void>;
}

/**
 * A service started from its build, ready once `<healthUrl>/healthz` answers, killed if the
 * process that started it exits, stopped with SIGTERM then SIGKILL.
 */
export function startBuiltService(options: {
  name: string;
  file: string;
  env: Record<string, string | undefined>;
  healthUrl: string;
  nodeArgs?: string[];
  stdio?: StdioOptions;
  timeoutMs?: number;
  stopTimeoutMs?: number;
}): Promise<BuiltService>;

/** Runs a built file to its end and gives its standard output; a non-zero exit rejects with its standard error. */
export function runBuiltFile(file: string, args: string[], env: Record<string, string | undefined>): Promise<string>;

/** What a {@link testBrowser} offers: requests, redirects followed by hand, forms submitted. */
export interface TestBrowser {
  /** Requests an address (resolved against the origin), POSTing `form` when given; keeps its cookies, follows no redirect. */
  go(url: string, form?: Record<string, string>): Promise<Response>;
  /** Follows redirects: the page at the end, or the relying party's address the browser was sent to. */
  follow(response: Response): Promise<Response | string>;
  /** Submits the page's form (the first whose action matches `actionMatching`, if given) with these fields and its CSRF token, then follows. */
  submit(html: string, fields: Record<string, string>, actionMatching?: RegExp): Promise<Response | string>;
}

/**
 * A browser without JavaScript, for tests of the login pages: follows redirects by hand, keeps the
 * cookies, submits forms with their CSRF field, and stops at a relying party's address (returned as
 * a string): `relyingParty` (by default http://rp.test/), or any of them.
 */
export function testBrowser(origin: string, relyingParty?: string | string[]): TestBrowser;
