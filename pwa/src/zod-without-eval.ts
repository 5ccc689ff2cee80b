import { z } from 'zod';

// The app runs under a CSP without 'unsafe-eval' (gateway/security-headers.ts). Zod otherwise probes
// `new Function('')` to compile fast parsers, which the browser reports as a CSP violation; jitless
// parsing is the same validation without it. Imported first by each browser entry (page, service worker).
z.config({ jitless: true });
