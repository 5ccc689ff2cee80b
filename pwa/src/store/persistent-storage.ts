let asked = false;

/**
 * Asks the browser once per visit to keep our storage under pressure (queued images and labels live
 * there until sent). Chromium decides by engagement, Firefox asks the user, Safari may ignore it.
 */
export function requestPersistentStorage(): void {
  if (asked) return;
  asked = true;
  void navigator.storage?.persist?.().catch(() => false);
}
