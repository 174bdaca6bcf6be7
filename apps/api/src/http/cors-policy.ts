import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * What a browser frontend on one of `CORS_ORIGINS` may do. Every method the
 * API routes use (editing, cancelling, revoking, administering need PATCH and
 * DELETE), every request header it reads, and every response header a client
 * reads (request ids for support, rate-limit state, ETags for conditional
 * reads, idempotent replays). Browsers hide any response header not listed.
 */
export function corsPolicy(origins: string[]): FastifyCorsOptions {
  return {
    origin: origins,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Accept',
      'X-API-Key',
      'Idempotency-Key',
      'X-Request-ID',
      'Last-Event-ID',
      'If-None-Match',
    ],
    exposedHeaders: [
      'X-Request-ID',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'ETag',
      'Idempotent-Replayed',
      'Location',
    ],
    // Browsers cap this (Chromium at 2 h); ten minutes spares a preflight per call.
    maxAge: 600,
  };
}
