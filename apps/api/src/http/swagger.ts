import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { APP_VERSION } from '@app/platform';

/** JSON Schema of the problem-details body every error response uses. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'https://quant-backend.dev/problems/validation-failed' },
    title: { type: 'string', example: 'Bad request' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string', example: 'The request is not valid.' },
    code: { type: 'string', description: 'Stable machine-readable code', example: 'VALIDATION_FAILED' },
    requestId: { type: 'string', example: '3f1c8a8e-7f55-4b5e-9b7e-0c9e8f4f3f6d' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
} as const;

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Quant trading backend')
    .setDescription(
      'Market data, strategies, tiered backtests on BullMQ workers and an AI assistant. ' +
        'Errors are RFC 9457 problem details (application/problem+json) with a stable `code`.',
    )
    .setVersion(APP_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'jwt')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'OPS_TOKEN or METRICS_TOKEN' }, 'opsToken')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = document.components ?? {};
  document.components.schemas = { ...(document.components.schemas ?? {}), ProblemDetails: PROBLEM_SCHEMA as never };
  return document;
}

export function setupSwagger(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Quant backend API',
  });
  return document;
}
