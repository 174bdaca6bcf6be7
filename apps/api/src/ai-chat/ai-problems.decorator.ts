import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details';

const AI_DESCRIPTIONS: Record<number, string> = {
  502: 'The AI service failed after bounded retries (AI_UPSTREAM_ERROR)',
  503: 'AI_DISABLED (no ANTHROPIC_API_KEY), AI_CONTEXT_UNAVAILABLE, or the AI service is overloaded or rate limited after retries (AI_UPSTREAM_OVERLOADED, AI_UPSTREAM_RATE_LIMITED); see Retry-After',
  504: 'The AI service did not answer in time (AI_UPSTREAM_TIMEOUT)',
};

/** Problem-details responses of the AI routes (502/503/504 with their codes). */
export function AiProblems(...statuses: Array<502 | 503 | 504>) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: AI_DESCRIPTIONS[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
      }),
    ),
  );
}
