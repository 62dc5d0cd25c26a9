/** The navigation-log flags of `rovlens timeline` and `rovlens annotate`, spelled once. */
import type { navOptionsShape } from '../config/nav.js';
import type { FlagSpelling } from './options.js';

export const NAV_FLAGS: { [K in keyof typeof navOptionsShape]: FlagSpelling } = {
  nav: '--nav <log.csv>',
  videoStart: '--video-start <time>',
  navOffset: '--nav-offset <seconds>',
  navTime: '--nav-time <column>',
  navFields: '--nav-fields <columns>',
  navDateOrder: '--nav-date-order <order>',
  navMaxGap: '--nav-max-gap <seconds>',
};
