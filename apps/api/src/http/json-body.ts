import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { AppError } from '@app/platform';

/**
 * The deepest nesting of arrays and objects a JSON body may have. A strategy
 * definition at the engine's deepest condition nesting (32) takes about 70
 * levels; class-transformer and the validators recurse once per level, and a
 * 10,000-level array overflowed the stack (a 500) after blocking the event
 * loop for half a second.
 */
export const MAX_JSON_DEPTH = 128;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonTooDeepError extends AppError {
  constructor(limit: number) {
    super('BODY_TOO_DEEP', 'invalid', `The JSON body nests arrays and objects deeper than ${limit} levels.`, {
      maxDepth: limit,
    });
  }
}

/**
 * Whether JSON text nests arrays and objects deeper than `limit`: one pass
 * over the bytes that stops at the first level too deep, brackets inside
 * strings ignored. Malformed text is left to the JSON parser, which runs next.
 */
export function jsonDepthExceeds(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * Fastify's JSON parser (prototype-poisoning checks included) behind the depth
 * check, so an over-deep body is refused before anything recurses over it.
 */
export function jsonBodyParser(fastify: FastifyInstance, limit = MAX_JSON_DEPTH): FastifyBodyParser<Buffer> {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (jsonDepthExceeds(body, limit)) {
      done(new JsonTooDeepError(limit), undefined);
      return;
    }
    // It reads a Buffer as well as a string (secure-json-parse converts it).
    void parse(request, body as unknown as string, done);
  };
}
