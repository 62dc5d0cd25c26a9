import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isLoopbackHost } from '../../src/config/live.js';
import { hostHeaderAllowed, hostHeaderName, servedHostNames } from '../../src/sinks/host-check.js';

describe('hostHeaderName', () => {
  it('takes the name without the port, bracketed IPv6 kept whole', () => {
    expect(hostHeaderName('127.0.0.1:8620')).toBe('127.0.0.1');
    expect(hostHeaderName('[::1]:8620')).toBe('[::1]');
    expect(hostHeaderName('LocalHost')).toBe('localhost');
    expect(hostHeaderName('[::1]junk')).toBeUndefined();
    expect(hostHeaderName('a:b:c')).toBeUndefined();
    expect(hostHeaderName(undefined)).toBeUndefined();
  });
});

describe('isLoopbackHost', () => {
  it('accepts only literal loopback names', () => {
    for (const host of ['localhost', '127.0.0.1', '127.255.0.9', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['127.0.0.1.evil.example', '127.evil.example', '127.0.0.256', '127.1', '0127.0.0.1', 'localhost.evil.example', '10.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts no DNS name that merely starts with a loopback address', () => {
    fc.assert(
      fc.property(fc.domain(), (domain) => {
        expect(isLoopbackHost(`127.0.0.1.${domain}`)).toBe(false);
      }),
    );
  });
});

describe('hostHeaderAllowed', () => {
  it('serves a loopback binding under loopback names only (DNS rebinding gets 403)', () => {
    const served = servedHostNames('127.0.0.1');
    expect(hostHeaderAllowed('127.0.0.1:8620', served)).toBe(true);
    expect(hostHeaderAllowed('localhost:8620', served)).toBe(true);
    expect(hostHeaderAllowed('[::1]:8620', served)).toBe(true);
    expect(hostHeaderAllowed('127.0.0.1.evil.example:8620', served)).toBe(false);
    expect(hostHeaderAllowed('evil.example', served)).toBe(false);
    expect(hostHeaderAllowed(undefined, served)).toBe(false);
  });

  it('serves a named binding under exactly that name, and loopback', () => {
    const served = servedHostNames('rov-viewer.lan');
    expect(hostHeaderAllowed('rov-viewer.lan:8620', served)).toBe(true);
    expect(hostHeaderAllowed('localhost:8620', served)).toBe(true);
    expect(hostHeaderAllowed('rov-viewer.lan.evil.example:8620', served)).toBe(false);
  });

  it('serves a wildcard binding under this machine’s addresses, not under any name', () => {
    const served = servedHostNames('0.0.0.0');
    expect(hostHeaderAllowed('127.0.0.1', served)).toBe(true);
    expect(hostHeaderAllowed('evil.example', served)).toBe(false);
    fc.assert(
      fc.property(fc.domain(), (domain) => {
        fc.pre(!served.has(domain));
        expect(hostHeaderAllowed(`${domain}:8620`, served)).toBe(false);
      }),
    );
  });
});
