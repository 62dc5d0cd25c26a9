/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser). The flags keep a headless
 * run off the network: without the background-networking ones Chromium keeps trying hosts it cannot reach.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
