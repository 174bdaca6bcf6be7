import { DataSource } from 'typeorm';
import { bearer, expectProblem, JWT_SECRET, register } from '../auth/auth-helpers';
import { SMA_CROSS } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';

describe('strategies', () => {
  let api: TestApi;
  let token: string;
  let other: string;

  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET } });
    token = (await register(api)).accessToken;
    other = (await register(api)).accessToken;
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  const create = (payload: object, as = token) =>
    api.inject({ method: 'POST', url: '/api/v1/strategies', headers: bearer(as), payload });

  it('creates a strategy as version 1 and reads it back', async () => {
    const res = await create({
      name: 'Trend',
      description: 'fast over slow',
      tags: ['trend', 'trend', 'btc'],
      definition: SMA_CROSS,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'Trend', version: 1, tags: ['trend', 'btc'], definition: { version: 1 } });
    const got = await api.inject({ url: `/api/v1/strategies/${res.json().id}`, headers: bearer(token) });
    expect(got.json()).toEqual(res.json());
  });

  it('rejects an invalid definition with the engine’s JSON paths and stores nothing', async () => {
    const db = api.app.get(DataSource);
    const [{ before }] = await db.query(`SELECT count(*)::int AS before FROM strategies`);
    const bad = { ...SMA_CROSS, entry: { long: { all: [{ gt: ['close', 1] }, { crossAbove: ['fsat', 'slow'] }] } } };
    const body = expectProblem(await create({ name: 'Bad', definition: bad }), 400, 'STRATEGY_INVALID');
    expect(body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'definition.entry.long.all[1].crossAbove[0]' })]),
    );
    expect(body.errors[0].message).toMatch(/unknown indicator "fsat"/);
    const [{ after }] = await db.query(`SELECT count(*)::int AS after FROM strategies`);
    expect(after).toBe(before);
    expectProblem(await create({ name: 'x', definition: SMA_CROSS, owner: 'me' }), 400, 'VALIDATION_FAILED');
  });

  it('makes each change of definition a new immutable version, and keeps other edits in place', async () => {
    const id = (await create({ name: 'Versioned', definition: SMA_CROSS })).json().id;
    const patch = (payload: object) =>
      api.inject({ method: 'PATCH', url: `/api/v1/strategies/${id}`, headers: bearer(token), payload });
    expect((await patch({ name: 'Renamed' })).json()).toMatchObject({ name: 'Renamed', version: 1 });
    expect((await patch({ definition: SMA_CROSS })).json().version).toBe(1); // the same definition is no new version
    const changed = { ...SMA_CROSS, risk: { stopLossPct: 2 } };
    expect((await patch({ definition: changed })).json()).toMatchObject({
      version: 2,
      definition: { risk: { stopLossPct: 2 } },
    });
    const versions = await api.inject({ url: `/api/v1/strategies/${id}/versions?limit=1`, headers: bearer(token) });
    expect(versions.json().items.map((v: { version: number }) => v.version)).toEqual([2]);
    const older = await api.inject({
      url: `/api/v1/strategies/${id}/versions?limit=1&cursor=${versions.json().nextCursor}`,
      headers: bearer(token),
    });
    expect(older.json()).toMatchObject({
      items: [{ version: 1, definition: { risk: SMA_CROSS.risk } }],
      nextCursor: null,
    });
  });

  it('answers 404 for another user’s strategy, on every route', async () => {
    const id = (await create({ name: 'Mine', definition: SMA_CROSS })).json().id;
    expectProblem(
      await api.inject({ url: `/api/v1/strategies/${id}`, headers: bearer(other) }),
      404,
      'STRATEGY_NOT_FOUND',
    );
    expectProblem(
      await api.inject({ url: `/api/v1/strategies/${id}/versions`, headers: bearer(other) }),
      404,
      'STRATEGY_NOT_FOUND',
    );
    expectProblem(
      await api.inject({
        method: 'PATCH',
        url: `/api/v1/strategies/${id}`,
        headers: bearer(other),
        payload: { name: 'x' },
      }),
      404,
      'STRATEGY_NOT_FOUND',
    );
    expectProblem(
      await api.inject({ method: 'DELETE', url: `/api/v1/strategies/${id}`, headers: bearer(other) }),
      404,
      'STRATEGY_NOT_FOUND',
    );
    const list = await api.inject({ url: '/api/v1/strategies', headers: bearer(other) });
    expect(list.json().items.map((s: { id: string }) => s.id)).not.toContain(id);
  });

  it('lists newest first with a cursor and a tag filter', async () => {
    const owner = (await register(api)).accessToken;
    for (const name of ['a', 'b', 'c'])
      await create({ name, tags: name === 'b' ? ['odd'] : [], definition: SMA_CROSS }, owner);
    const first = await api.inject({ url: '/api/v1/strategies?limit=2', headers: bearer(owner) });
    expect(first.json().items.map((s: { name: string }) => s.name)).toEqual(['c', 'b']);
    const second = await api.inject({
      url: `/api/v1/strategies?limit=2&cursor=${first.json().nextCursor}`,
      headers: bearer(owner),
    });
    expect(second.json()).toMatchObject({ items: [{ name: 'a' }], nextCursor: null });
    const tagged = await api.inject({ url: '/api/v1/strategies?tag=odd', headers: bearer(owner) });
    expect(tagged.json().items.map((s: { name: string }) => s.name)).toEqual(['b']);
    expectProblem(
      await api.inject({ url: '/api/v1/strategies?cursor=nonsense', headers: bearer(owner) }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('deletes an unused strategy for good', async () => {
    const id = (await create({ name: 'Gone', definition: SMA_CROSS })).json().id;
    expect(
      (await api.inject({ method: 'DELETE', url: `/api/v1/strategies/${id}`, headers: bearer(token) })).statusCode,
    ).toBe(204);
    const [{ count }] = await api.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS count FROM strategies WHERE id = $1`, [id]);
    expect(count).toBe(0);
  });

  it('publishes the definition schema and ready templates that the validator accepts', async () => {
    const schema = await api.inject({ url: '/api/v1/strategies/schema', headers: bearer(token) });
    expect(schema.json()).toMatchObject({ type: 'object' });
    const templates = (await api.inject({ url: '/api/v1/strategies/templates', headers: bearer(token) })).json().items;
    expect(templates.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining(['sma-cross', 'rsi-mean-reversion']),
    );
    expect(templates.length).toBeGreaterThanOrEqual(5);
    for (const t of templates) expect((await create({ name: t.name, definition: t.definition })).statusCode).toBe(201);
  });
});
