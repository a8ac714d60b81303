import type { Logger } from 'pino';
import { redactUrl } from './logger.js';
import { routeOf, type ServiceMetrics } from './metrics.js';
import type { PlainMiddleware } from './request-context.js';

const LOG_FIELDS = 'tamkeen:request-log-fields';

/**
 * The request's own fields for its access line (a route fills them: who asked, what for, the
 * outcome), so that one line says everything about a request. Never secrets, codes or ID numbers:
 * these fields are not redacted.
 */
export function requestLogFields(res: { locals: Record<string, unknown> }): Record<string, unknown> {
  return ((res.locals[LOG_FIELDS] as Record<string, unknown> | undefined) ??= {});
}

/**
 * One log line per request, when its response is finished or the client went away: method, path
 * (sensitive query values redacted), status, duration, request id, and the fields the route added
 * (`requestLogFields`). Headers and bodies are not logged.
 */
export function requestLogging(parent: Logger, metrics?: ServiceMetrics): PlainMiddleware {
  // The access line's fields are fixed and its URL already redacted: skip the redaction pass,
  // the costliest part of a log line (bench/README.md).
  const logger = parent.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const status = res.writableFinished ? res.statusCode : 499;
      metrics?.httpDuration.observe({ method: req.method ?? 'GET', route: routeOf(req), status: String(status) }, durationMs / 1000);
      const line = {
        requestId: req.id,
        method: req.method,
        url: redactUrl((req as { originalUrl?: string }).originalUrl ?? req.url ?? ''),
        status,
        durationMs: Math.round(durationMs * 100) / 100,
        remoteAddress: req.socket.remoteAddress,
        ...((res as { locals?: Record<string, unknown> }).locals?.[LOG_FIELDS] as Record<string, unknown> | undefined),
      };
      if (status === 500) logger.error(line, 'request failed');
      else if (status >= 500) logger.warn(line, 'request not served');
      else if (status === 499) logger.warn(line, 'client closed request');
      else logger.info(line, 'request completed');
    };
    res.once('finish', log);
    res.once('close', log);
    next();
  };
}
