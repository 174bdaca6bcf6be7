import SwaggerParser from '@apidevtools/swagger-parser';
import { servedRoutes } from '../../apps/api/src/http/fastify-hooks';
import { createTestApi, TestApi } from '../support/test-app';

type Operation = { responses?: Record<string, { content?: Record<string, unknown> }>; security?: unknown[] };

describe('OpenAPI document', () => {
  let api: TestApi;
  let doc: any;

  beforeAll(async () => {
    api = await createTestApi();
    const res = await api.inject('/docs-json');
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await api.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await api.inject('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('defines the problem-details schema and the security schemes', () => {
    expect(doc.components.schemas.ProblemDetails.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'requestId']),
    );
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['jwt', 'apiKey', 'opsToken']));
  });

  it('documents a success response for every route, and problem details for every error response', () => {
    const problems: string[] = [];
    for (const [route, methods] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const statuses = Object.keys(op.responses ?? {});
        if (!statuses.some((s) => /^2\d\d$/.test(s)))
          problems.push(`${method.toUpperCase()} ${route}: no 2xx response`);
        for (const s of statuses.filter((x) => /^[45]\d\d$/.test(x))) {
          const content = op.responses![s].content ?? {};
          const isHealthReport = route.startsWith('/health') && s === '503';
          if (!isHealthReport && !content['application/problem+json']) {
            problems.push(`${method.toUpperCase()} ${route}: ${s} is not problem details`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents every route the application serves', () => {
    const fastify = api.app.getHttpAdapter().getInstance();
    const ownRoutes = servedRoutes(fastify).filter(
      (r) => !['HEAD', 'OPTIONS'].includes(r.method) && !/^\/docs/.test(r.url) && r.url !== '*',
    );
    expect(ownRoutes.map((r) => r.url)).toEqual(expect.arrayContaining(['/health', '/health/ready', '/metrics']));
    const undocumented = ownRoutes.filter((r) => {
      const openApiPath = r.url.replace(/:(\w+)/g, '{$1}');
      return !doc.paths[openApiPath]?.[r.method.toLowerCase()];
    });
    expect(undocumented).toEqual([]);
  });
});
