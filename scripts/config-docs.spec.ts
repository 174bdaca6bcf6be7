import fs from 'node:fs';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseEnvExample, generate, TARGET } = require('./config-docs.js') as {
  parseEnvExample(
    text: string,
  ): Array<{ title: string; vars: Array<{ name: string; value: string; comment: string }> }>;
  generate(): string;
  TARGET: string;
};

describe('config-docs', () => {
  it('reads sections, each variable with its default and the comment above it', () => {
    const sections = parseEnvExample(
      ['# --- HTTP ---', '# Port the API', '# listens on.', 'PORT=3000', '', '# --- Empty ---', '# orphan', ''].join(
        '\n',
      ),
    );
    expect(sections).toEqual([
      { title: 'HTTP', vars: [{ name: 'PORT', value: '3000', comment: 'Port the API listens on.' }] },
    ]);
  });

  it('keeps docs/configuration.md equal to what .env.example generates', () => {
    expect(fs.readFileSync(TARGET, 'utf8')).toBe(generate());
  });
});
