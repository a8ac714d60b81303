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
  const trusted = trustedHops > 0;
  // Services see one address, the client's as the gateway resolved it through its trusted hops.
  headers['x-forwarded-for'] = clientAddressOf(req, trustedHops);
  // Other spellings of the same claims are not passed on: services read only X-Forwarded-*.
  delete headers.forwarded;
  delete headers['x-real-ip'];
  delete headers['x-forwarded-port'];
  const ownProto = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  headers['x-forwarded-proto'] = (trusted && first(req.headers['x-forwarded-proto'])) || ownProto;
  const host = (trusted && first(req.headers['x-forwarded-host'])) || req.headers.host;
  if (host) headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];
}

/**
 * The client's address: the socket's peer, or, behind `trustedHops` proxies that each append to
 * X-Forwarded-For, the address the outermost trusted proxy saw.
 */
export function clientAddressOf(req: IncomingMessage, trustedHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return peer;
  const chain = (req.headers['x-forwarded-for'] ?? '')
    .toString()
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  chain.push(peer);
  return chain[Math.max(0, chain.length - 1 - trustedHops)] ?? peer;
}
