/**
 * Test helper: a real ffmpeg process streaming a generated clip (lavfi) as MPEG-TS over UDP to a
 * loopback port, the way an ROV's encoder would. Short GOP so a receiver that joins late (or
 * reconnects) gets a keyframe within a fraction of a second; sensor-like noise, so that flat test
 * pictures still make camera-sized packets (tiny packets sit in ffmpeg's demuxer for seconds).
 * Stops by itself after `seconds`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { ffmpegPath } from '../../src/sources/binaries.js';

export interface UdpSender {
  process: ChildProcess;
  stop(): void;
  exited: Promise<void>;
}

export interface UdpSenderOptions {
  port: number;
  seconds: number;
  /** lavfi source, e.g. 'testsrc2' or 'color=c=red'. */
  lavfi?: string;
  width?: number;
  height?: number;
  fps?: number;
}

export function udpSender({ port, seconds, lavfi = 'testsrc2', width = 160, height = 120, fps = 15 }: UdpSenderOptions): UdpSender {
  const source = lavfi.includes('=') ? `${lavfi}:size=${width}x${height}:rate=${fps}` : `${lavfi}=size=${width}x${height}:rate=${fps}`;
  const child = spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      source,
      '-t',
      String(seconds),
      '-vf',
      'noise=alls=12:allf=t',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      String(Math.max(1, Math.round(fps / 3))),
      '-pix_fmt',
      'yuv420p',
      '-muxdelay',
      '0',
      '-muxpreload',
      '0',
      '-flush_packets',
      '1',
      '-f',
      'mpegts',
      `udp://127.0.0.1:${port}?pkt_size=1316`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { process: child, stop: () => child.exitCode === null && child.kill('SIGKILL'), exited };
}

/** A UDP port that was free a moment ago on loopback. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}
