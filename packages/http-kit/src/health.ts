import type { Express, IRouter, Request } from 'express';
import { resource } from './routes.js';

/** A dependency the service needs to do its work; resolves when reachable, rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export interface Readiness {
  status: 'ready' | 'not ready';
  checks: Record<string, CheckResult>;
}

export const DRAINING = 'tamkeen:draining';

export async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latency_ms: Math.round(performance.now() - started), error: describeFailure(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function readinessOf(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<Readiness> {
  const entries = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
  const results = Object.fromEntries(entries);
  const ready = entries.every(([, result]) => result.status === 'up');
  return { status: ready ? 'ready' : 'not ready', checks: results };
}

/** The reason a dependency is down, without connection strings or credentials. */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return describeFailure(error.errors[0]);
  const { code, message, cause } = error as { code?: string; message?: string; cause?: unknown };
  // fetch wraps the network error ("fetch failed"); the cause says what happened.
  if (code === undefined && cause !== undefined) return describeFailure(cause);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  return (message ?? String(error)).replace(/\w+:\/\/\S+/g, '[url]').slice(0, 200);
}

function isDraining(req: Request): boolean {
  return Boolean((req.app as Express).get(DRAINING));
}

/**
 * `/healthz`: the process is alive. `/readyz`: every check passes and the service is not draining;
 * otherwise 503 with the checks that failed, so an orchestrator stops sending traffic.
 */
export function healthRoutes(router: IRouter, checks: Record<string, ReadinessCheck>, timeoutMs = 1_000): void {
  // Answers within a second share one round of checks: /readyz is public on the gateway, and each
  // call would otherwise reach every upstream's database and Redis.
  let latest: { at: number; readiness: Promise<Readiness> } | undefined;
  const currentReadiness = () => {
    const now = Date.now();
    if (!latest || now - latest.at >= 1_000) latest = { at: now, readiness: readinessOf(checks, timeoutMs) };
    return latest.readiness;
  };
  resource(router, '/healthz', {
    get: (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ status: 'ok' });
    },
  });
  resource(router, '/readyz', {
    get: async (req, res) => {
      const readiness = await currentReadiness();
      const draining = isDraining(req);
      res.setHeader('Cache-Control', 'no-store');
      res.status(readiness.status === 'ready' && !draining ? 200 : 503).json(draining ? { ...readiness, status: 'not ready', draining: true } : readiness);
    },
  });
}
