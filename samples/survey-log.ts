/**
 * A navigation log to go with the SD sample: a made-up 1 Hz survey line (the ROV creeping east at
 * 0.4 m/s, 1.8 m above a seabed at 38 m, heading drifting from 88 to 97 degrees), in the shape of a
 * topside log, so `rovlens timeline --nav` can be tried without a real dive.
 */
import { writeFileSync } from 'node:fs';

export const SURVEY_START = '2026-05-14T09:30:00Z';

export function writeSurveyLog(path: string, seconds = 10): void {
  const t0 = Date.parse(SURVEY_START);
  const lat = 43.65;
  const metresPerDegreeLon = 111_320 * Math.cos((lat * Math.PI) / 180);
  const rows = Array.from({ length: seconds + 1 }, (_, s) => {
    const heading = (88 + 0.9 * s + 0.5 * Math.sin(s)) % 360;
    return [
      new Date(t0 + 1000 * s).toISOString().replace('.000Z', 'Z'),
      (lat + (0.05 * Math.sin(s / 3)) / 111_320).toFixed(7),
      (7.35 + (0.4 * s) / metresPerDegreeLon).toFixed(7),
      (38.2 + 0.04 * s).toFixed(2),
      (1.8 + 0.1 * Math.sin(s / 2)).toFixed(2),
      heading.toFixed(1),
    ].join(',');
  });
  writeFileSync(path, ['time_utc,latitude,longitude,depth_m,altitude_m,heading_deg', ...rows].join('\n') + '\n');
}
