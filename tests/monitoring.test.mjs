// The monitoring an operator installs (packaging/monitoring/, docs/operations.md) watches what a
// real node exposes: every metric the Grafana dashboard and the alerting rules query is served
// by a dev node running every worker role, and the scrape configuration targets the Prometheus
// port the packaged configuration sets. A renamed or removed metric fails here, not on a
// validator's dashboard.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startDevNode, waitFor } from './lib/node.mjs';
import { startIpfs } from './lib/ipfs.mjs';

const MONITORING = join(REPO_ROOT, 'packaging', 'monitoring');

/** The metric names a PromQL expression reads (identifiers before `{`, `[` or an operator). */
export function metricsIn(expr) {
  const names = new Set();
  for (const [, name] of expr.replace(/"[^"]*"/g, '""').matchAll(/\b((?:substrate|custodia)_[a-z0-9_]+)\b/g)) names.add(name);
  return names;
}

/** The metric families of a Prometheus text exposition (histograms also as _bucket/_sum/_count). */
function exposedNames(text) {
  const names = new Set();
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/);
    if (m) names.add(m[1]);
  }
  return names;
}

describe('monitoring: dashboard, alerts and scrape configuration against a real node', () => {
  let node;
  let ipfs;
  let exposed;

  before(async () => {
    ipfs = await startIpfs();
    node = await startDevNode({ extraArgs: ['--alice', '--steward', '--evaluator', '--aggregator', '--worker-dev-key', '//Alice', '--ipfs-api', ipfs.url] });
    // Block metrics appear with the first imported block, worker gauges with its first round.
    await waitFor('the node and its worker to report metrics', async () => {
      const text = await (await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`)).text();
      exposed = exposedNames(text);
      return exposed.has('custodia_worker_last_block') && exposed.has('substrate_proposer_block_constructed_count');
    }, 120_000, 2000);
  });

  after(async () => {
    await node?.stop();
    await ipfs?.stop();
  });

  test('every metric the Grafana dashboard queries is exposed', () => {
    const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8'));
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...metricsIn(t.expr)])));
    assert.ok(queried.has('substrate_block_height') && queried.has('custodia_worker_pins_required'), `the dashboard covers blocks and the worker: ${[...queried]}`);
    assert.deepEqual([...queried].filter((name) => !exposed.has(name)), [], 'metrics the dashboard queries but the node does not expose');
  });

  test('every metric the alerting rules read is exposed', () => {
    const rules = readFileSync(join(MONITORING, 'custodia-alerts.yml'), 'utf8');
    const exprs = [...rules.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]);
    assert.ok(exprs.length >= 5, `alert expressions found: ${exprs.length}`);
    const read = new Set(exprs.flatMap((e) => [...metricsIn(e)]));
    assert.deepEqual([...read].filter((name) => !exposed.has(name)), [], 'metrics the alerts read but the node does not expose');
  });

  test('the scrape configuration targets the packaged node\'s Prometheus port', () => {
    const scrape = readFileSync(join(MONITORING, 'prometheus.yml'), 'utf8');
    const conf = readFileSync(join(REPO_ROOT, 'packaging', 'custodia.conf'), 'utf8');
    const port = conf.match(/^CUSTODIA_PROMETHEUS_PORT=(\d+)$/m)?.[1];
    assert.ok(port, 'custodia.conf sets the Prometheus port');
    assert.match(scrape, new RegExp(`targets: \\['127\\.0\\.0\\.1:${port}'\\]`));
    assert.match(scrape, /custodia-alerts\.yml/, 'the alerting rules are loaded');
  });
});
