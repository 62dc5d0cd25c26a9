/** The navigation-log flags of `rovlens timeline` and `rovlens annotate`, declared once. */
import { Option } from 'commander';
import { navOptionsShape } from '../config/nav.js';
import { dateOrders } from '../telemetry/nav-log.js';

/**
 * Commander options for the log; help texts from the command's own `describe`. `showDefaults`: let
 * commander print the default (for commands whose `describe` does not add it already).
 */
export function navFlags(describe: (key: keyof typeof navOptionsShape) => string, showDefaults: boolean): Option[] {
  const maxGap = new Option('--nav-max-gap <seconds>', describe('navMaxGap'));
  return [
    new Option('--nav <log.csv>', describe('nav')),
    new Option('--video-start <time>', describe('videoStart')),
    new Option('--nav-offset <seconds>', describe('navOffset')),
    new Option('--nav-time <column>', describe('navTime')),
    new Option('--nav-fields <columns>', describe('navFields')),
    new Option('--nav-date-order <order>', describe('navDateOrder')).choices(dateOrders),
    showDefaults ? maxGap.default('10') : maxGap,
  ];
}
