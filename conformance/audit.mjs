// The GraphQL Foundation's GraphQL-over-HTTP audit (npm graphql-http) against /graphql.
//
//   node conformance/audit.mjs http://127.0.0.1:8000/graphql [--json]
//
// Every audit is printed with its level and outcome. Exit status 1 when a MUST fails,
// when a SHOULD or MAY fails that conformance/explained.json does not list (each entry there
// is explained in docs/conformance.md), or when an explained one passes again (so
// the list and the document never go stale).
import { readFileSync } from 'node:fs';
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const asJson = process.argv.includes('--json');
const key = process.env.SHIPGRAPH_CONFORMANCE_KEY || 'demo-key';
const TIMEOUT_MS = 10_000;

if (!url) {
  console.error('usage: node audit.mjs <graphql url> [--json]');
  process.exit(2);
}

const explained = JSON.parse(
  readFileSync(new URL('./explained.json', import.meta.url), 'utf8'),
);
const explainedIds = new Map(explained.should.map((entry) => [entry.id, entry]));

// The tenant's key on every request, and a deadline on each one.
async function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
}

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (error) {
  console.error(`audit could not run: ${error?.stack || error}`);
  process.exit(1);
}

const level = (result) => result.name.split(' ', 1)[0];
const counts = {};
const problems = [];
const rows = [];

for (const result of results) {
  const lvl = level(result);
  const tally = (counts[lvl] ??= { total: 0, ok: 0, failed: 0 });
  tally.total += 1;
  const explanation = explainedIds.get(result.id);
  let detail = '';
  if (result.status === 'ok') {
    tally.ok += 1;
    if (explanation) {
      problems.push(`${result.id} passes now: remove it from explained.json and docs/conformance.md`);
    }
  } else {
    tally.failed += 1;
    let body = '';
    try {
      body = (await result.response.text()).slice(0, 200);
    } catch {
      body = '(body unreadable)';
    }
    const status = result.response?.status;
    detail = `${result.reason} (got ${status} ${result.response?.headers.get('content-type') ?? ''}) ${body}`;
    if (lvl === 'MUST') {
      problems.push(`MUST ${result.id} failed: ${result.name}`);
    } else if (explanation) {
      detail += `\n        explained: ${explanation.reason}`;
    } else {
      // every MAY passes too: a regression there is a bug as well (a cached answer
      // once turned malformed variables from 400 into 200)
      problems.push(`${lvl} ${result.id} failed and is not explained in explained.json: ${result.name}`);
    }
  }
  rows.push({ id: result.id, name: result.name, level: lvl, status: result.status, detail });
}

for (const id of explainedIds.keys()) {
  if (!results.some((result) => result.id === id)) {
    problems.push(`explained.json lists ${id}, which this graphql-http has no audit for`);
  }
}

const mark = { ok: 'ok   ', warn: 'WARN ', error: 'ERROR', notice: 'note ' };
if (asJson) {
  console.log(JSON.stringify({ counts, results: rows, problems }, null, 2));
} else {
  for (const row of rows) {
    console.log(`${mark[row.status] ?? row.status} ${row.id}  ${row.name}`);
    if (row.detail) console.log(`        ${row.detail}`);
  }
  console.log('');
  for (const lvl of ['MUST', 'SHOULD', 'MAY']) {
    const tally = counts[lvl] ?? { total: 0, ok: 0 };
    console.log(`${lvl.padEnd(6)} ${tally.ok}/${tally.total} passed`);
  }
  for (const problem of problems) console.error(`FAIL: ${problem}`);
}
process.exit(problems.length ? 1 : 0);
