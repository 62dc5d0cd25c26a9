/**
 * NMEA 0183, the sentences USBL systems, GPS receivers and ROV topsides broadcast (often as UDP
 * datagrams): position from GGA, RMC and GLL, true heading from HDT, or from HDG (magnetic, corrected
 * by the deviation and variation it carries), altitude above mean sea level from GGA (negative below it).
 * Any talker (GP, GN, IN, ...). A sentence whose checksum does not match, that says its fix is invalid,
 * or that is of another type gives nothing.
 */

/** What one sentence says: the fields it carries, by the names the live record and viewer use. */
export type NmeaValues = Partial<Record<'latitude' | 'longitude' | 'altitude_m' | 'heading_deg', number>>;

export const NMEA_FIELDS = ['latitude', 'longitude', 'altitude_m', 'heading_deg'] as const;

/** XOR of the characters between '$' and '*', as two hex digits. */
export function nmeaChecksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

/** 'ddmm.mmmm' / 'dddmm.mmmm' and a hemisphere to signed decimal degrees; NaN when malformed. */
function degrees(value: string | undefined, hemisphere: string | undefined): number {
  if (!value || !/^\d{3,5}(\.\d+)?$/.test(value) || !hemisphere || !/^[NSEW]$/.test(hemisphere)) return NaN;
  const dot = value.indexOf('.');
  const whole = dot < 0 ? value.length : dot;
  const deg = Number(value.slice(0, whole - 2));
  const min = Number(value.slice(whole - 2));
  if (min >= 60) return NaN;
  const signed = (deg + min / 60) * (hemisphere === 'S' || hemisphere === 'W' ? -1 : 1);
  const limit = hemisphere === 'N' || hemisphere === 'S' ? 90 : 180;
  return Math.abs(signed) <= limit ? signed : NaN;
}

function position(lat: string | undefined, ns: string | undefined, lon: string | undefined, ew: string | undefined): NmeaValues {
  const latitude = degrees(lat, ns);
  const longitude = degrees(lon, ew);
  return Number.isFinite(latitude) && Number.isFinite(longitude) ? { latitude, longitude } : {};
}

/** A signed correction in degrees: '1.5','E' -> +1.5, '1.5','W' -> -1.5; 0 when absent; NaN beyond 180. */
function correction(value: string | undefined, direction: string | undefined): number {
  if (!value) return 0;
  return Math.abs(Number(value)) <= 180 ? Number(value) * (direction === 'W' ? -1 : 1) : NaN;
}

/** A compass reading as sent (0..360, plain decimal): '1e308' or '9999' is no heading. */
function compass(value: string | undefined): number {
  if (!value || !/^\d{1,3}(\.\d+)?$/.test(value)) return NaN;
  const deg = Number(value);
  return deg <= 360 ? deg : NaN;
}

const wrap = (deg: number) => (deg >= 0 && deg < 360 ? deg : ((deg % 360) + 360) % 360);

/** The values one sentence carries, or undefined for a sentence that is not usable. */
export function parseNmea(line: string): NmeaValues | undefined {
  const text = line.trim();
  const m = /^[$!]([A-Z0-9]{5}),([^*]*)(?:\*([0-9A-Fa-f]{2}))?$/.exec(text);
  if (!m) return undefined;
  const [, address, data, checksum] = m;
  if (checksum !== undefined && checksum.toUpperCase() !== nmeaChecksum(`${address},${data}`)) return undefined;
  if (address!.startsWith('P')) return undefined; // proprietary
  const f = data!.split(',');
  const values = ((): NmeaValues | undefined => {
    switch (address!.slice(2)) {
      case 'GGA': {
        // time, lat, N/S, lon, E/W, quality (0: no fix), satellites, HDOP, altitude, M, ...
        if (f[5] === '0' || f[5] === '') return undefined;
        const fix = position(f[1], f[2], f[3], f[4]);
        const altitude = f[8] !== undefined && f[8] !== '' ? Number(f[8]) : NaN;
        // A position that does not parse makes the whole sentence suspect.
        if (!('latitude' in fix)) return undefined;
        // An altitude no vehicle has (1e308) is left out; the position still stands.
        const plausible = Number.isFinite(altitude) && Math.abs(altitude) <= 100_000;
        return { ...fix, ...(plausible ? { altitude_m: altitude } : {}) };
      }
      case 'RMC':
        // time, status (A valid, V void), lat, N/S, lon, E/W, ...
        return f[1] === 'A' ? position(f[2], f[3], f[4], f[5]) : undefined;
      case 'GLL':
        // lat, N/S, lon, E/W, time, status
        return f[5] === 'V' ? undefined : position(f[0], f[1], f[2], f[3]);
      case 'HDT': {
        const heading = compass(f[0]);
        return Number.isFinite(heading) ? { heading_deg: wrap(heading) } : undefined;
      }
      case 'HDG': {
        // magnetic sensor heading, deviation, E/W, variation, E/W: true = sensor + deviation + variation
        const sensor = compass(f[0]);
        const heading = sensor + correction(f[1], f[2]) + correction(f[3], f[4]);
        return Number.isFinite(heading) ? { heading_deg: wrap(heading) } : undefined;
      }
      default:
        return undefined;
    }
  })();
  return values && Object.keys(values).length ? values : undefined;
}
