/**
 * Which `Host` header names and browser origins the local servers (the live viewer, the review page)
 * answer. A DNS-rebinding page reaches the server under
 * a name the attacker controls (`127.0.0.1.evil.example`, `evil.example`), so only names that cannot
 * be rebound are served: the literal loopback names, the exact host the user bound, and, when bound
 * to every interface, this machine's own addresses and host name.
 */
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { isLoopbackHost } from '../config/live.js';

const WILDCARD_HOSTS = ['0.0.0.0', '::', '[::]'];

/** The name part of a Host header: `[::1]:8620` -> `[::1]`, `Example.org:80` -> `example.org`. */
export function hostHeaderName(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const header = hostHeader.trim().toLowerCase();
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    if (end < 0) return undefined;
    const rest = header.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return header.slice(0, end + 1);
  }
  const match = /^([^:]+)(?::\d{1,5})?$/.exec(header);
  return match?.[1];
}

const bracketed = (host: string) => (isIP(host) === 6 ? `[${host}]` : host.toLowerCase());

/** The host names served for a server bound to `boundHost`. */
export function servedHostNames(boundHost: string): Set<string> {
  const names = new Set<string>([bracketed(boundHost)]);
  if (WILDCARD_HOSTS.includes(boundHost)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(bracketed(address.address.split('%')[0]!));
    }
  }
  return names;
}

/**
 * True when a browser page may call the server: no Origin (not a browser; the token decides), an
 * origin the user allowed, or the server's own page.
 */
export function originHeaderAllowed(origin: string | undefined, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  return origin === `http://${hostHeader}` || origin === `https://${hostHeader}`;
}

/** True when a request's Host header names the server in a way a rebinding page cannot forge. */
export function hostHeaderAllowed(hostHeader: string | undefined, served: ReadonlySet<string>): boolean {
  const name = hostHeaderName(hostHeader);
  if (name === undefined) return false;
  return isLoopbackHost(name) || served.has(name);
}
