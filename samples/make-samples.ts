/**
 * Rebuilds the bundled sample clips (`npm run samples`). Deterministic up to the encoder.
 */
import { makeSceneClip } from './scenes.js';
import { writeSurveyLog } from './survey-log.js';

const here = new URL('.', import.meta.url).pathname;
const h264 = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '28',
  '-pix_fmt',
  'yuv420p',
  '-g',
  '50',
  '-sc_threshold',
  '0',
  '-movflags',
  '+faststart',
];

makeSceneClip(`${here}seafloor-sd.mp4`, { width: 720, height: 576, secondsPerScene: 5, fps: 25, codec: h264 });
makeSceneClip(`${here}seafloor-4k.mp4`, {
  width: 3840,
  height: 2160,
  secondsPerScene: 1,
  fps: 25,
  codec: [...h264.slice(0, 2), '-preset', 'ultrafast', '-crf', '30', ...h264.slice(6)],
});
writeSurveyLog(`${here}seafloor-sd-nav.csv`);
console.log('samples written: seafloor-sd.mp4, seafloor-4k.mp4, seafloor-sd-nav.csv');
