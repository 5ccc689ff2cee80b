/**
 * Loaded only with `?bench` in the URL: gives bench/pwa.ts a handle on the inference worker, to time
 * many runs inside it (performance.now() is coarse without cross-origin isolation).
 */
import {
  benchmarkOnDevice,
  classifyOnDevice,
  type DeviceInference,
  warmUpDevice,
} from './inference/device-classifier.ts';
import { loadBundledModels } from './models/model-catalogue.ts';

declare global {
  interface Window {
    pictorBench?: {
      warmUp(model: string): Promise<number>;
      run(image: Blob, model: string, runs: number): ReturnType<typeof benchmarkOnDevice>;
      /**
       * The app's own on-device verdict (canvas decode) and the bytes it would upload (what the server
       * classifies), for the device/server agreement e2e test.
       */
      classify(image: Blob, model: string): Promise<{ verdict: DeviceInference | null; upload: Blob }>;
    };
  }
}

async function bundled(name: string) {
  const model = (await loadBundledModels()).find((m) => m.name === name);
  if (!model) throw new Error(`no bundled model ${name}`);
  return model;
}

window.pictorBench = {
  warmUp: async (name) => warmUpDevice(await bundled(name)),
  run: async (image, name, runs) => benchmarkOnDevice(image, await bundled(name), runs),
  classify: async (image, name) => {
    const { verdict, prepared } = classifyOnDevice(image, 'image/jpeg', await bundled(name));
    return { verdict: await verdict, upload: (await prepared).upload };
  },
};
