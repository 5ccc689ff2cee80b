/** localStorage key: `off` when the person asked the app never to prompt for labels. */
const ASK_KEY = 'pictor.askForLabels';

/** Whether the app may prompt for a label (on unless turned off; on where storage is unavailable). */
export function askForLabelsEnabled(): boolean {
  try {
    return localStorage.getItem(ASK_KEY) !== 'off';
  } catch {
    return true;
  }
}

/** Turns prompting for labels on or off, on this device, for good. */
export function setAskForLabels(enabled: boolean): void {
  try {
    if (enabled) localStorage.removeItem(ASK_KEY);
    else localStorage.setItem(ASK_KEY, 'off');
  } catch (error) {
    console.warn('could not keep the "ask for labels" setting', error);
  }
}
