/** The Web Lock every sync run holds, in the page and in the service worker. */
export const SYNC_LOCK = 'pictor-sync';
/** The Background Sync tag the page registers and the service worker answers. */
export const SYNC_TAG = 'pictor-sync';
