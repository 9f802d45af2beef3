import { z } from 'zod';
import { method } from './define';

const RemoteUrl = z
  .string()
  .max(4096)
  .regex(/^https?:\/\//i, 'an http or https URL');

/**
 * Remote images the person chose to load. The engine fetches them (no cookies, no
 * referrer, size- and time-limited, images only) and hands back data: URLs, so the
 * renderer's strict CSP never has to allow the network and mail can't load anything else.
 */
export const remoteMethods = {
  'remote.images': method(
    z.object({ urls: z.array(RemoteUrl).max(100) }).strict(),
    z.object({
      images: z.array(
        z.union([
          z.object({ url: z.string(), dataUrl: z.string().regex(/^data:image\//) }),
          z.object({ url: z.string(), error: z.string() }),
        ]),
      ),
    }),
  ),
} as const;
