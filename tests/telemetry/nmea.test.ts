import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { NmeaFeed } from '../../src/telemetry/nmea-feed.js';
import { nmeaChecksum, parseNmea } from '../../src/telemetry/nmea.js';

/** A sentence with its checksum, as a device writes it. */
const sentence = (body: string) => `$${body}*${nmeaChecksum(body)}`;

describe('parseNmea', () => {
  it('reads the textbook GGA and RMC sentences (checksums 47 and 6A) as decimal degrees', () => {
    const gga = parseNmea('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47')!;
    expect(gga.latitude).toBeCloseTo(48 + 7.038 / 60, 9);
    expect(gga.longitude).toBeCloseTo(11 + 31 / 60, 9);
    expect(gga.altitude_m).toBe(545.4);
    const rmc = parseNmea('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A')!;
    expect(rmc).toEqual({ latitude: gga.latitude, longitude: gga.longitude });
  });

  it('signs the southern and western hemispheres, and reads GLL, HDT and HDG (magnetic, corrected to true)', () => {
    const south = parseNmea(sentence('GNGGA,010203.00,4338.9000,S,00721.0000,W,4,10,0.8,-38.4,M,,,,'))!;
    expect(south.latitude).toBeCloseTo(-(43 + 38.9 / 60), 9);
    expect(south.longitude).toBeCloseTo(-(7 + 21 / 60), 9);
    expect(south.altitude_m).toBe(-38.4);
    expect(parseNmea(sentence('GPGLL,4338.9000,N,00721.0000,E,010203.00,A,A'))).toMatchObject({ latitude: expect.closeTo(43.648333, 6) });
    expect(parseNmea(sentence('HEHDT,274.07,T'))).toEqual({ heading_deg: 274.07 });
    // 358 magnetic, deviation 1.5 E, variation 3.0 E: 362.5 true, i.e. 2.5.
    expect(parseNmea(sentence('HCHDG,358.0,1.5,E,3.0,E'))!.heading_deg).toBeCloseTo(2.5, 9);
    expect(parseNmea(sentence('HCHDG,10.0,,,4.0,W'))!.heading_deg).toBeCloseTo(6, 9);
  });

  it('gives nothing for a wrong checksum, no fix, a void status, other types, proprietary sentences or junk', () => {
    for (const line of [
      '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48',
      sentence('GPGGA,123519,4807.038,N,01131.000,E,0,00,,,M,,M,,'),
      sentence('GPRMC,123519,V,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W'),
      sentence('GPVTG,054.7,T,034.4,M,005.5,N,010.2,K'),
      sentence('PSXN,23,0.02,-0.76,330.56,*0B'),
      sentence('GPGGA,123519,9907.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'),
      'hello',
      '',
    ]) {
      expect(parseNmea(line), line).toBeUndefined();
    }
  });
});

describe('NmeaFeed', () => {
  it('keeps the newest value of each field from UDP datagrams, leaves out stale ones, and counts unusable lines', async () => {
    const feed = await NmeaFeed.listen(0, '127.0.0.1');
    const port = Number(feed.address.split(':').pop());
    const sender = createSocket('udp4');
    const send = (text: string) => new Promise<void>((done) => sender.send(text, port, '127.0.0.1', () => done()));
    try {
      await send(
        `${sentence('GPGGA,010203.00,4338.9000,N,00721.0000,E,1,10,0.8,-38.4,M,,,,')}\r\n${sentence('HEHDT,91.0,T')}\r\n$GPGGA,bad*00\r\n`,
      );
      const deadline = Date.now() + 2000;
      while (feed.counts.used < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(feed.counts).toEqual({ used: 2, ignored: 1 });
      const values = feed.values(5000);
      expect(values.latitude).toBeCloseTo(43 + 38.9 / 60, 9);
      expect(values.heading_deg).toBe(91);
      expect(feed.values(5000, Date.now() + 10_000)).toEqual({});
    } finally {
      sender.close();
      await feed.close();
    }
  });

  it('says in one line when it cannot listen', async () => {
    const taken = await NmeaFeed.listen(0, '127.0.0.1');
    try {
      // An address this machine does not have.
      await expect(NmeaFeed.listen(10110, '203.0.113.7')).rejects.toThrow(SourceError);
      await expect(NmeaFeed.listen(10110, '203.0.113.7')).rejects.toThrow(
        /^cannot listen for NMEA on udp 203\.0\.113\.7:10110: EADDRNOTAVAIL$/,
      );
    } finally {
      await taken.close();
    }
  });
});
