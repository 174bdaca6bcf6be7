import type { FastifyInstance } from 'fastify';
import { fastifyMultipart, type FastifyMultipartOptions } from '@fastify/multipart';

/** The request helpers of @fastify/multipart that write temporary files; we never call them. */
export const DISK_MODE_HELPERS = ['saveRequestFiles', 'cleanRequestFiles', 'tmpUploads', 'savedRequestFiles'];

/**
 * @fastify/multipart for streamed parts only (`request.parts()`, `request.file()`).
 *
 * The plugin also adds an async onRequest and an async onResponse hook to
 * every route, whatever its content type, only to delete the temporary files
 * `saveRequestFiles()` may have written. Uploads here are streamed, never saved
 * (test/architecture checks no code calls the disk-mode helpers), and those two
 * hooks cost every request five promises: about 5 % of the CPU of `/health`.
 * So the plugin is registered through a view of the instance that leaves out
 * exactly those two hooks; its content-type parser, decorators and any other
 * hook are registered as usual.
 */
export async function registerStreamingMultipart(
  fastify: FastifyInstance,
  options: FastifyMultipartOptions,
): Promise<void> {
  const withoutTempFileHooks = new Proxy(fastify, {
    get(target, prop, receiver: FastifyInstance) {
      if (prop === 'addHook') {
        return (name: string, hook: unknown): FastifyInstance =>
          name === 'onRequest' || name === 'onResponse'
            ? receiver
            : (target.addHook as (n: string, h: unknown) => FastifyInstance).call(target, name, hook);
      }
      return Reflect.get(target, prop, target) as unknown;
    },
  });
  await new Promise<void>((resolve, reject) =>
    fastifyMultipart(withoutTempFileHooks, options, (err?: Error) => (err ? reject(err) : resolve())),
  );
}
