import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** The media type of every error answer, on every port. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `https://quant-backend.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

/** The body of a problem-details answer (RFC 9457) with the members every answer of ours carries. */
export function problemBody(
  status: number,
  code: string,
  detail: string,
  requestId: string,
): { type: string; title: string; status: number; detail: string; code: string; requestId: string } {
  const title = (STATUS_CODES[status] ?? 'Error').toLowerCase().replace(/^\w/, (c) => c.toUpperCase());
  return { type: problemType(code), title, status, detail, code, requestId };
}

/**
 * What Node's HTTP parser reports to `clientError` before any request exists,
 * as problem details. Nothing from the request is echoed: the URL may be what
 * the client got wrong.
 */
export function clientErrorProblem(err: { code?: string }): { status: number; code: string; detail: string } {
  return (
    CLIENT_ERRORS[err.code ?? ''] ?? {
      status: 400,
      code: 'MALFORMED_REQUEST',
      detail: 'The request is not valid HTTP.',
    }
  );
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    detail: 'The request was not received in time; send the headers and body without pausing.',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    detail: 'The request line and headers are larger than allowed.',
  },
  HPE_URI_TOO_LONG: { status: 414, code: 'URI_TOO_LONG', detail: 'The request URL is longer than allowed.' },
};

type SocketWithMessage = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * A `clientError` handler for a Node HTTP server: answers problem details on
 * the raw socket, unless an answer has started there already, then closes it.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const started = (socket as SocketWithMessage)._httpMessage?.headersSent === true;
  if (socket.writable && !started) {
    const { status, code, detail } = clientErrorProblem(err);
    const body = JSON.stringify(problemBody(status, code, detail, randomUUID()));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
