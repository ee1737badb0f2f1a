'use strict';
/** Aggregation across rounds, ratios to the baseline, the stdout table and the target checks. */

const FIELDS = [
  'connections',
  'offered_per_s',
  'delivered_ratio',
  'p50_ms',
  'p99_ms',
  'max_ms',
  'peak_per_s',
  'rss_per_conn_kb',
  'connects_per_s',
];

/** Percentile (nearest rank) of a sorted Float64Array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function median(values) {
  const list = values
    .filter((v) => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (list.length === 0) return null;
  const mid = list.length >> 1;
  return list.length % 2 ? list[mid] : (list[mid - 1] + list[mid]) / 2;
}

/**
 * How rounds combine: the worst delivery, the fewest connections and the worst max; the median of
 * everything else.
 */
function combine(key, values) {
  if (values.some((v) => Array.isArray(v))) return undefined; // per-round only (see iterations)
  const objects = values.filter((v) => v && typeof v === 'object');
  if (objects.length > 0) {
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    return Object.fromEntries(
      keys.map((k) => [
        k,
        combine(
          k,
          objects.map((o) => o[k]),
        ),
      ]),
    );
  }
  const list = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (list.length === 0) return null;
  // A round that opened fewer connections must fail the gate whatever the other rounds did.
  if (key === 'delivered_ratio' || key === 'connections') return Math.min(...list);
  if (key === 'max_ms' || key === 'max' || key === 'gc_max') return Math.max(...list);
  if (
    [
      'lost',
      'duplicates',
      'misdelivered',
      'reordered_on_wire',
      'errors',
      'failed_connects',
    ].includes(key)
  ) {
    return list.reduce((a, b) => a + b, 0);
  }
  return median(list);
}

/**
 * iterations: [{ variant, round, workloads: { name: row } }] → { variant: { workload: row } },
 * each row with `rounds` (its per-round values) and `vs_baseline` (ratio of each field).
 */
function aggregate(iterations, variants) {
  const out = {};
  for (const variant of variants) {
    out[variant] = {};
    const mine = iterations.filter((it) => it.variant === variant);
    const names = [...new Set(mine.flatMap((it) => Object.keys(it.workloads)))];
    for (const name of names) {
      const rows = mine.map((it) => it.workloads[name]).filter(Boolean);
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'notes');
      const row = {};
      for (const key of keys) {
        const value = combine(
          key,
          rows.map((r) => r[key]),
        );
        if (value !== undefined) row[key] = value;
      }
      row.rounds = rows.length;
      const notes = [...new Set(rows.flatMap((r) => r.notes || []))];
      if (notes.length) row.notes = notes;
      out[variant][name] = row;
    }
  }
  const base = out.baseline || {};
  for (const variant of variants) {
    for (const [name, row] of Object.entries(out[variant])) {
      const ref = base[name];
      row.vs_baseline = {};
      for (const field of FIELDS) {
        const a = row[field];
        const b = ref && ref[field];
        row.vs_baseline[field] =
          typeof a === 'number' && typeof b === 'number' && b !== 0 ? round(a / b, 3) : null;
      }
    }
  }
  return out;
}

/** Key by key, the largest value among `objects` (one missing a key counts 0). */
function worstOf(objects, keys) {
  return Object.fromEntries(
    keys.map((key) => [key, Math.max(...objects.map((o) => (o && o[key]) || 0))]),
  );
}

function round(value, digits = 2) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function fmt(value, digits = 1) {
  if (value === null || value === undefined) return '–';
  if (typeof value !== 'number') return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

function fmtRatio(value) {
  return value === null || value === undefined ? '' : `${value.toFixed(2)}×`;
}

/** The metric of each workload compared with the baseline in the table's last column. */
function keyRatio(name, row) {
  const r = row.vs_baseline || {};
  if (name === 'idle') return `rss ${fmtRatio(r.rss_per_conn_kb)}`;
  if (name === 'connect-storm') return `connects ${fmtRatio(r.connects_per_s)}`;
  if (name === 'send-peak') return `peak ${fmtRatio(r.peak_per_s)}`;
  if (r.p99_ms === null || r.p99_ms === undefined) return '';
  return `p99 ${fmtRatio(r.p99_ms)}`;
}

/** Markdown table (also readable on a terminal). */
function table(results, variants, order) {
  const header = [
    'workload',
    'variant',
    'conns',
    'offered/s',
    'delivered',
    'p50 ms',
    'p99 ms',
    'max ms',
    'peak/s',
    'RSS KB/conn',
    'heap KB/conn',
    'connects/s',
    'vs baseline',
  ];
  const lines = [];
  for (const name of order) {
    for (const variant of variants) {
      const row = results[variant] && results[variant][name];
      if (!row) continue;
      lines.push([
        name,
        variant,
        fmt(row.connections, 0),
        fmt(row.offered_per_s, 0),
        row.delivered_ratio === null || row.delivered_ratio === undefined
          ? '–'
          : row.delivered_ratio.toFixed(4),
        fmt(row.p50_ms, 2),
        fmt(row.p99_ms, 2),
        fmt(row.max_ms, 1),
        fmt(row.peak_per_s, 0),
        fmt(row.rss_per_conn_kb, 1),
        fmt(row.heap_per_conn_kb, 1),
        fmt(row.connects_per_s, 0),
        variant === 'baseline' ? '' : keyRatio(name, row),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [render(header), rule, ...lines.map(render)].join('\n');
}

/** Extra per-workload details (losses, duplicates, ordering, CPU). */
function details(results, variants, order) {
  const lines = [];
  for (const name of order) {
    for (const variant of variants) {
      const row = results[variant] && results[variant][name];
      if (!row) continue;
      const parts = [];
      for (const key of [
        'lost',
        'duplicates',
        'misdelivered',
        'unexpected_disconnects',
        'reordered_on_wire',
        'errors',
        'failed_connects',
        'replayed',
        'achieved_per_s',
        'server_cpu_ms_per_connect',
        'server_cpu_us_per_msg',
        'redis_cpu_us_per_msg',
        'server_cpu_pct',
        'client_cpu_pct',
        'redis_cpu_pct',
        'other_cpu_pct',
      ]) {
        if (row[key] !== undefined && row[key] !== null)
          parts.push(`${key}=${fmt(row[key], key.endsWith('per_connect') ? 3 : 0)}`);
      }
      if (row.notes) parts.push(...row.notes);
      if (parts.length) lines.push(`  ${name} / ${variant}: ${parts.join(', ')}`);
    }
  }
  return lines.join('\n');
}

/** The performance targets (docs/BENCHMARKS.md), checked on the aggregated results (full mode figures are the reference). */
function checkTargets(results, config) {
  const lib = results.library || {};
  const sharded = results['library-sharded'] || {};
  const base = results.baseline || {};
  const targets = [];
  const add = (name, holds, detail) => targets.push({ name, holds, detail });
  const val = (row, key) => (row ? row[key] : undefined);
  const five = 'send-5000';

  const conns = val(lib.idle, 'connections');
  add(
    '10,000 connections on 2 instances (library)',
    config.connections >= 10_000 ? conns === config.connections : null,
    config.connections >= 10_000
      ? `library held ${conns ?? '–'} of ${config.connections}`
      : `not measured: this run opened ${config.connections} (library held ${conns ?? '–'})`,
  );
  for (const [label, r] of [
    ['library', lib],
    ['library-sharded', sharded],
  ]) {
    if (!r[five]) continue;
    const d = val(r[five], 'delivered_ratio');
    const p99 = val(r[five], 'p99_ms');
    add(
      `5,000 user msgs/s: delivered 1.0, p99 ≤ 10 ms (${label})`,
      d === 1 && p99 <= 10,
      `delivered ${d}, p99 ${fmt(p99, 2)} ms over ${config.sendSeconds}-s phases (baseline p99 ${fmt(val(base[five], 'p99_ms'), 2)} ms)`,
    );
  }
  const peak = (r) => val(r['send-peak'], 'peak_per_s');
  // Figures that mean something only at full scale: below it, their check is not applicable.
  // A peak is a peak once the baseline could not keep up with the highest offered rate; while it
  // kept up, every variant may just have delivered what was offered.
  const topRate = Math.max(...config.sendRates);
  const saturating = peak(base) !== undefined && peak(base) < 0.97 * topRate;
  const notSaturated = `bare socket.io kept up with the highest offered rate (${fmt(topRate, 0)} msg/s): offer more with --rates`;
  const fullScale = config.connections >= 10_000;
  const unless = (applicable, holds) => (applicable ? holds : null);
  const why = (applicable, detail, need) =>
    applicable ? detail : `${detail} (not judged: ${need})`;
  if (peak(base) && peak(lib)) {
    add(
      'peak throughput ≥ 0.9× baseline (classic)',
      unless(saturating, peak(lib) >= 0.9 * peak(base)),
      why(
        saturating,
        `library ${fmt(peak(lib), 0)}/s vs baseline ${fmt(peak(base), 0)}/s (${fmtRatio(peak(lib) / peak(base))})`,
        notSaturated,
      ),
    );
  }
  if (peak(base) && peak(sharded)) {
    add(
      'peak throughput > baseline (sharded)',
      unless(saturating, peak(sharded) > peak(base)),
      why(
        saturating,
        `library-sharded ${fmt(peak(sharded), 0)}/s vs baseline ${fmt(peak(base), 0)}/s (${fmtRatio(peak(sharded) / peak(base))})`,
        notSaturated,
      ),
    );
  }
  for (const [label, r] of [
    ['library', lib],
    ['library-sharded', sharded],
  ]) {
    const rss = val(r.idle, 'rss_per_conn_kb');
    const b = val(base.idle, 'rss_per_conn_kb');
    if (rss !== undefined && b !== undefined) {
      add(
        `RSS per connection ≤ baseline (${label})`,
        unless(fullScale, rss <= b),
        why(
          fullScale,
          `${fmt(rss, 1)} KB vs ${fmt(b, 1)} KB`,
          "with fewer than 10,000 connections the app's fixed costs dominate",
        ),
      );
    }
  }
  for (const [label, r] of [
    ['library', lib],
    ['library-sharded', sharded],
  ]) {
    const c = val(r['connect-storm'], 'connects_per_s');
    if (c !== undefined)
      add(
        `≥ 1,500 authenticated connects/s (${label})`,
        unless(fullScale, c >= 1500),
        why(
          fullScale,
          `${fmt(c, 0)}/s (baseline, no auth: ${fmt(val(base['connect-storm'], 'connects_per_s'), 0)}/s)`,
          'a storm of fewer than 10,000 connections is mostly warm-up',
        ),
      );
  }
  const steady = `runs-steady-${config.runsRate}`;
  for (const [label, r] of [
    ['library', lib],
    ['library-sharded', sharded],
  ]) {
    if (!r[steady]) continue;
    const d = val(r[steady], 'delivered_ratio');
    const p99 = val(r[steady], 'p99_ms');
    const b = val(base[steady], 'p99_ms');
    add(
      `run updates at ${config.runsRate.toLocaleString('en-US')}/s: all delivered, p99 ≤ 3× baseline (${label})`,
      d === 1 && b !== undefined && p99 <= 3 * b,
      `delivered ${d}, p99 ${fmt(p99, 2)} ms vs baseline ${fmt(b, 2)} ms (${fmtRatio(p99 / b)})`,
    );
  }
  for (const [label, r] of [
    ['library', lib],
    ['library-sharded', sharded],
  ]) {
    if (!r['runs-burst']) continue;
    const row = r['runs-burst'];
    add(
      `burst of ${config.burstUsers.toLocaleString('en-US')} task starts in ${config.burstSpreadMs} ms: nothing lost or reordered (${label})`,
      row.delivered_ratio === 1 && row.lost === 0,
      `delivered ${row.delivered_ratio}, lost ${row.lost}, duplicates on the wire ${row.duplicates}, out of order on the wire ${row.reordered_on_wire} (restored by seq)`,
    );
  }
  return targets;
}

module.exports = {
  FIELDS,
  percentile,
  median,
  aggregate,
  table,
  details,
  checkTargets,
  round,
  worstOf,
  fmt,
};
