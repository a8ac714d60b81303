import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Sets X-Forwarded-For/-Proto/-Host. With no trusted proxy in front (hops = 0) the gateway is the
 * edge: what a client sent in these headers is replaced, so nobody can forge their address.
 */
export function setForwardedHeaders(headers: OutgoingHttpHeaders, req: IncomingMessage, trustedHops: number): void {
  const clientAddress = req.socket.remoteAddress ?? 'unknown';
  const trusted = trustedHops > 0;
  const priorFor = trusted ? first(req.headers['x-forwarded-for']) : undefined;
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${clientAddress}` : clientAddress;
  const ownProto = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  headers['x-forwarded-proto'] = (trusted && first(req.headers['x-forwarded-proto'])) || ownProto;
  const host = (trusted && first(req.headers['x-forwarded-host'])) || req.headers.host;
  if (host) headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];
}
