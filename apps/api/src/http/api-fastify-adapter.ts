import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { sendRouteNotFound } from './problem-details.filter';

/**
 * Nest's Fastify adapter, answering a method and path no route serves straight
 * from Fastify's not-found handler. Nest's own handler throws a
 * `NotFoundException` through its exception layer to reach the same problem
 * details; capturing that exception's stack trace was the largest single cost
 * of a 404, the answer scanners and stale clients get most.
 */
export class ApiFastifyAdapter extends FastifyAdapter {
  override setNotFoundHandler(): FastifyInstance {
    return this.getInstance().setNotFoundHandler((request, reply) => sendRouteNotFound(request, reply));
  }
}
