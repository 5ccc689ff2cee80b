/**
 * Whether to download onnxruntime and the model on its own (ahead of the first photo) or to wait for
 * the user's word: on Save-Data or a 2G-class connection the app asks first, and the server's verdict
 * serves meanwhile. Once downloaded (or agreed to), it is never asked again.
 */

/** localStorage key: the on-device model was downloaded here, or the user asked for it. */
const AGREED_KEY = 'pictor-device-download';

interface NetworkInformationLike {
  readonly saveData?: boolean;
  readonly effectiveType?: string;
}

/** True when the download should wait for the user's choice. */
export function shouldAskBeforeDownload(): boolean {
  try {
    if (localStorage.getItem(AGREED_KEY) === 'yes') return false;
  } catch {
    // Storage blocked: decide by the connection alone.
  }
  const connection = (navigator as Navigator & { connection?: NetworkInformationLike }).connection;
  if (!connection) return false;
  return connection.saveData === true || ['slow-2g', '2g'].includes(connection.effectiveType ?? '');
}

/** Remembers that the model may be (or was) downloaded on this device. */
export function agreeToDownload(): void {
  try {
    localStorage.setItem(AGREED_KEY, 'yes');
  } catch {
    // Storage blocked: asked again next time.
  }
}
