import { api } from '../api';
import { h, notice, replace } from '../dom';
import type { Context } from '../context';

type Stats = {
  generated_at: string;
  tokens: { provider_key: string; status: string; count: number }[];
  invalidated_per_day: { day: string; reason: string; count: number }[];
  users: { total: number; without_sendable_token: number };
  opened_per_day: { day: string; sent: number; opened: number; open_rate: number | null }[];
};

const STATUSES = ['active', 'unknown', 'failed', 'revoked'];
const COLORS = ['#c2410c', '#1d4ed8', '#047857', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#4d7c0f'];

export async function overviewView(_ctx: Context, main: HTMLElement): Promise<void> {
  replace(main, h('h1', {}, 'Overview'), notice('loading', 'Loading the figures…'));
  let stats: Stats;
  try {
    stats = await api<Stats>('GET', '/stats');
  } catch (error) {
    return replace(main, h('h1', {}, 'Overview'), notice('error', `The figures could not be loaded: ${(error as Error).message}`));
  }
  const total = stats.tokens.reduce((sum, row) => sum + row.count, 0);
  replace(
    main,
    h('h1', {}, 'Overview'),
    h(
      'section',
      { class: 'cards' },
      card('Tokens', total),
      card('Users', stats.users.total),
      card('Users with no sendable token', stats.users.without_sendable_token, 'No active, unexpired token: nothing reaches them.'),
      card('Invalidated in 30 days', stats.invalidated_per_day.reduce((sum, row) => sum + row.count, 0)),
    ),
    h('section', {}, h('h2', {}, 'Tokens by provider and status'), total === 0 ? notice('empty', 'No tokens are registered in this workspace yet.') : byProvider(stats)),
    h('section', {}, h('h2', {}, 'Tokens invalidated per day, last 30 days'), chart(stats)),
    h('section', {}, h('h2', {}, 'Open rate per day, last 30 days'), openRate(stats)),
    h('p', { class: 'muted' }, `Figures as of ${new Date(stats.generated_at).toLocaleTimeString()} (cached for up to 30 seconds).`),
  );
}

/** Messages sent per day and how many of them the app reported opened (PUBLIC_URL's trackingUrl). */
function openRate(stats: Stats): HTMLElement {
  const days = stats.opened_per_day.filter((d) => d.sent > 0);
  if (days.length === 0) return notice('empty', 'No messages sent in the last 30 days.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'open-rate' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day (UTC)'), h('th', { scope: 'col', class: 'num' }, 'Sent'), h('th', { scope: 'col', class: 'num' }, 'Opened'), h('th', { scope: 'col', class: 'num' }, 'Open rate'))),
      h(
        'tbody',
        {},
        days.map((d) => h('tr', {}, h('th', { scope: 'row' }, d.day), h('td', { class: 'num' }, d.sent.toLocaleString()), h('td', { class: 'num' }, d.opened.toLocaleString()), h('td', { class: 'num' }, d.open_rate === null ? '—' : `${(d.open_rate * 100).toFixed(1)} %`))),
      ),
    ),
  );
}

function card(label: string, value: number, hint?: string): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'card-value' }, value.toLocaleString()), h('div', { class: 'card-label' }, label), hint ? h('div', { class: 'muted small' }, hint) : null);
}

function byProvider(stats: Stats): HTMLElement {
  const providers = [...new Set(stats.tokens.map((row) => row.provider_key))].sort();
  const count = (p: string, s: string) => stats.tokens.find((row) => row.provider_key === p && row.status === s)?.count ?? 0;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Provider'), STATUSES.map((s) => h('th', { scope: 'col', class: 'num' }, s)))),
      h('tbody', {}, providers.map((p) => h('tr', {}, h('th', { scope: 'row' }, p), STATUSES.map((s) => h('td', { class: 'num' }, count(p, s).toLocaleString()))))),
    ),
  );
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

/** A stacked bar per day, one colour per reason, drawn as SVG; the same figures follow as a table. */
function chart(stats: Stats): HTMLElement {
  const days: string[] = [];
  const end = new Date(stats.generated_at);
  for (let i = 29; i >= 0; i--) days.push(new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate() - i)).toISOString().slice(0, 10));
  const reasons = [...new Set(stats.invalidated_per_day.map((row) => row.reason))].sort();
  if (reasons.length === 0) return notice('empty', 'No token was invalidated in the last 30 days.');
  const perDay = (day: string) => stats.invalidated_per_day.filter((row) => row.day === day);
  const max = Math.max(1, ...days.map((day) => perDay(day).reduce((sum, row) => sum + row.count, 0)));
  const [width, height, left, bottom] = [720, 220, 36, 24];
  const barWidth = (width - left) / days.length;
  const y = (n: number) => ((height - bottom - 8) * n) / max;
  const bars: SVGElement[] = [];
  days.forEach((day, i) => {
    let stacked = 0;
    for (const row of perDay(day)) {
      const colour = COLORS[reasons.indexOf(row.reason) % COLORS.length]!;
      const rect = svg('rect', { x: left + i * barWidth + 1, y: height - bottom - y(stacked + row.count), width: Math.max(1, barWidth - 2), height: y(row.count), fill: colour }, svg('title', {}, `${day}: ${row.count} × ${row.reason}`));
      bars.push(rect);
      stacked += row.count;
    }
  });
  const axis = [
    svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: '#94a3b8' }),
    svg('text', { x: left - 6, y: 14, 'text-anchor': 'end', class: 'axis' }, String(max)),
    svg('text', { x: left - 6, y: height - bottom, 'text-anchor': 'end', class: 'axis' }, '0'),
    svg('text', { x: left, y: height - 6, class: 'axis' }, days[0]!),
    svg('text', { x: width, y: height - 6, 'text-anchor': 'end', class: 'axis' }, days[days.length - 1]!),
  ];
  const total = stats.invalidated_per_day.reduce((sum, row) => sum + row.count, 0);
  const figure = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${total} tokens invalidated over the last 30 days, by reason: ${reasons.join(', ')}`, class: 'chart' }, ...axis, ...bars);
  const legend = h('ul', { class: 'legend' }, reasons.map((reason, i) => h('li', {}, h('span', { class: `swatch swatch-${i % COLORS.length}`, 'aria-hidden': 'true' }), reason)));
  const table = h(
    'details',
    {},
    h('summary', {}, 'The figures as a table'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Reason'), h('th', { scope: 'col', class: 'num' }, 'Tokens'))), h('tbody', {}, stats.invalidated_per_day.map((row) => h('tr', {}, h('td', {}, row.day), h('td', {}, row.reason), h('td', { class: 'num' }, row.count))))),
  );
  return h('figure', { class: 'chart-figure' }, figure, legend, table);
}
