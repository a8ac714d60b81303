import { upstreamFetch, type ReadinessCheck } from '@tamkeen/http-kit';
import type { Upstream } from './proxy/routing-table.js';

/** An upstream is ready when its own /readyz says so; otherwise the check fails with its reason. */
export function upstreamReadiness(upstream: Upstream, timeoutMs: number): ReadinessCheck {
  return async () => {
    const response = await upstreamFetch(`${upstream.url}/readyz`, { timeoutMs });
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const body = (await response.json().catch(() => undefined)) as { checks?: Record<string, { status: string }> } | undefined;
    const down = Object.entries(body?.checks ?? {})
      .filter(([, check]) => check.status !== 'up')
      .map(([name]) => name);
    throw new Error(`its /readyz answered ${response.status}${down.length ? ` (${down.join(', ')} down)` : ''}`);
  };
}
