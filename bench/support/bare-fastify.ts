import Fastify from 'fastify';

/** The baseline: a bare Fastify server answering the same shapes as the API. */
async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/health', () => ({ status: 'ok' }));
  app.setNotFoundHandler((_req, reply) => {
    void reply.status(404).send({ status: 404, code: 'ROUTE_NOT_FOUND' });
  });
  const port = Number(process.argv[2]);
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`bare fastify ready on ${port}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
