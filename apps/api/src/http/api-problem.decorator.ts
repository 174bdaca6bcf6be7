import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (VALIDATION_FAILED, MALFORMED_BODY)',
  401: 'Missing or invalid credentials',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large (PAYLOAD_TOO_LARGE)',
  415: 'Unsupported content type',
  422: 'Unprocessable',
  429: 'Rate limited; see Retry-After',
  500: 'Unexpected error (INTERNAL_ERROR)',
  503: 'A dependency is unavailable (DEPENDENCY_UNAVAILABLE)',
};

/** Documents problem-details responses for the given statuses. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
      }),
    ),
  );
}
