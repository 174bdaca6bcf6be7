import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@app/testing';

/**
 * The PromQL that the deployment ships: Grafana panel targets and Prometheus rules, and the
 * metric names they read, so that tests can hold them against what the app really exports.
 */

export const DASHBOARD_DIR = 'deploy/grafana/dashboards';
export const ALERTS_FILE = 'deploy/prometheus/alerts.yml';
export const ALERTS_TEST_FILE = 'deploy/prometheus/alerts.test.yml';

export interface DashboardPanel {
  title: string;
  datasource?: { uid?: string };
  targets: Array<{ expr: string; datasource?: { uid?: string } }>;
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
}

export function dashboards(): Array<{ file: string; dashboard: Dashboard }> {
  const dir = path.join(REPO_ROOT, DASHBOARD_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `${DASHBOARD_DIR}/${f}`, dashboard: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Array<{
    record?: string;
    alert?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }>;
}

export function ruleGroups(file = ALERTS_FILE): RuleGroup[] {
  return (parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as { groups: RuleGroup[] }).groups;
}

/** Grafana's built-in variables, replaced by values Prometheus accepts. */
export function grafanaToPromql(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$__range|\$\{__range\}/g, '1h');
}

/** Every panel query of every dashboard, with where it comes from. */
export function panelQueries(): Array<{ where: string; expr: string }> {
  return dashboards().flatMap(({ file, dashboard }) =>
    dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `${file}: ${p.title}`, expr: t.expr }))),
  );
}

/** Every rule expression, with the rule's name. */
export function ruleQueries(): Array<{ where: string; expr: string }> {
  return ruleGroups().flatMap((g) =>
    g.rules.map((r) => ({ where: `${ALERTS_FILE}: ${r.alert ?? r.record}`, expr: r.expr })),
  );
}

const PROMQL_WORDS = new Set('by without on ignoring group_left group_right and or unless offset bool'.split(' '));

/** Metric names in PromQL: identifiers that are not functions, keywords, labels or Grafana variables. */
export function metricNamesOf(expr: string): string[] {
  const names = new Set<string>();
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b/gi, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  for (const m of stripped.matchAll(/([a-zA-Z_:][\w:]*)\s*(\()?/g)) {
    if (m[2] || PROMQL_WORDS.has(m[1]) || /^\d/.test(m[1])) continue;
    names.add(m[1]);
  }
  return [...names].sort();
}

/** The metric names in a Prometheus text exposition that carry at least one sample. */
export function sampledNames(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^([a-zA-Z_:][\w:]*)(?:\{| )/gm)].map((m) => m[1]));
}
