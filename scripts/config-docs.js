#!/usr/bin/env node
'use strict';
// Writes docs/configuration.md from .env.example, which a unit test keeps equal to the config
// schema: the reference cannot drift from what the app reads. `--check` exits 1 when the file
// on disk differs from what would be written (the unit test runs the same comparison).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, '.env.example');
const TARGET = path.join(ROOT, 'docs', 'configuration.md');

/** Sections of .env.example: `# --- Title ---` headers, comment lines, then `NAME=default`. */
function parseEnvExample(text) {
  const sections = [];
  let section = null;
  let comment = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const header = /^# -{2,} (.+?) -*$/.exec(line);
    if (header) {
      section = { title: header[1].trim(), vars: [] };
      sections.push(section);
      comment = [];
    } else if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
    } else if (/^[A-Z][A-Z0-9_]*=/.test(line)) {
      const eq = line.indexOf('=');
      if (section)
        section.vars.push({ name: line.slice(0, eq), value: line.slice(eq + 1), comment: comment.join(' ') });
      comment = [];
    } else {
      comment = [];
    }
  }
  return sections.filter((s) => s.vars.length > 0);
}

const cell = (s) => s.replace(/\|/g, '\\|');

function render(sections) {
  const out = [
    '# Configuration',
    '',
    'Every environment variable the product reads, generated from [`.env.example`](../.env.example) by',
    '`node scripts/config-docs.js` (a unit test fails when this file and `.env.example` differ, and another when',
    '`.env.example` and the schema in `libs/platform/src/config/config.schema.ts` differ). An invalid value stops the',
    'process with a line naming the variable and the rule. An empty default means unset.',
    '',
  ];
  for (const s of sections) {
    out.push(`## ${s.title}`, '', '| variable | default | meaning |', '| --- | --- | --- |');
    for (const v of s.vars)
      out.push(`| \`${v.name}\` | ${v.value ? `\`${cell(v.value)}\`` : ''} | ${cell(v.comment)} |`);
    out.push('');
  }
  return out.join('\n');
}

function generate() {
  return render(parseEnvExample(fs.readFileSync(SOURCE, 'utf8')));
}

module.exports = { parseEnvExample, render, generate, TARGET };

if (require.main === module) {
  const text = generate();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(TARGET) ? fs.readFileSync(TARGET, 'utf8') : '';
    if (current !== text) {
      console.error('docs/configuration.md is stale: run `node scripts/config-docs.js`');
      process.exit(1);
    }
  } else {
    fs.mkdirSync(path.dirname(TARGET), { recursive: true });
    fs.writeFileSync(TARGET, text);
  }
}
