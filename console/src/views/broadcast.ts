import { api, ApiError, enc } from '../api';
import { focusOn, h, replace } from '../dom';
import type { Context } from '../context';

/**
 * A broadcast's live progress on its message page (issue 30): a progress bar of the tokens
 * handed to providers out of the target's, the counts by outcome and provider, and Cancel while
 * it runs. The page reads the message again each second while the broadcast runs, and stops
 * when it ends or the page is left.
 */
export type Tally = { delivered: number; invalid: number; rejected: number; retryable: number; skipped: number };
export type Progress = {
  running: boolean;
  canceled: boolean;
  total: number;
  sent: number;
  delivered: number;
  invalidated: number;
  rejected: number;
  retryable: number;
  skipped: number;
  possibly_duplicated: number;
  providers: Record<string, Tally>;
  chunks: { planned: number; done: number; all_planned: boolean };
};

const POLL_MS = 1_000;

export function progressSection(ctx: Context, id: string, initial: Progress, finished: () => void): HTMLElement {
  const bar = h('progress', { id: 'broadcast-progress', 'aria-label': 'Broadcast progress' });
  const figures = h('p', { class: 'progress-figures', 'aria-live': 'polite' });
  const providers = h('div', { class: 'table-wrap' });
  const outcome = h('p', { class: 'outcome', role: 'status' });
  const cancel = ctx.can('send')
    ? h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: () =>
            void api<{ progress: Progress }>('POST', `/messages/${enc(id)}/cancel`).then(
              ({ progress }) => {
                show(progress);
                outcome.textContent = `Canceled: ${progress.sent} tokens had been handed to providers. Chunks in flight finish; nothing more goes out.`;
                focusOn(outcome);
              },
              (e: ApiError) => {
                outcome.textContent = e.status === 409 ? 'Too late: the broadcast has already finished.' : e.message;
                focusOn(outcome);
              },
            ),
        },
        'Cancel broadcast',
      )
    : null;
  const section = h('section', { class: 'broadcast' }, h('h2', {}, 'Progress'), bar, figures, providers, cancel ? h('div', { class: 'actions' }, cancel, outcome) : null);

  function show(p: Progress): void {
    bar.max = Math.max(p.total, 1);
    bar.value = p.sent + p.skipped;
    bar.textContent = `${p.sent} of ${p.total}`;
    const state = p.running ? (p.canceled ? 'stopping' : p.chunks.all_planned ? 'running' : 'planning') : p.canceled ? 'canceled' : 'finished';
    figures.textContent = `${p.sent} of ${p.total} tokens sent (${state}): ${p.delivered} delivered, ${p.invalidated} invalidated, ${p.rejected} rejected, ${p.retryable} failed after retries, ${p.skipped} skipped${p.possibly_duplicated > 0 ? `; ${p.possibly_duplicated} may have had two copies (a replica died mid-chunk)` : ''}. Chunks: ${p.chunks.done} of ${p.chunks.planned} done.`;
    const rows = Object.entries(p.providers);
    replace(
      providers,
      rows.length === 0
        ? null
        : h('table', { class: 'broadcast-providers' }, h('thead', {}, h('tr', {}, ['Provider', 'Delivered', 'Invalidated', 'Rejected', 'Failed', 'Skipped'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows.map(([provider, t]) => h('tr', {}, h('td', {}, provider), ...[t.delivered, t.invalid, t.rejected, t.retryable, t.skipped].map((n) => h('td', { class: 'num' }, String(n))))))),
    );
    if (cancel) cancel.hidden = !p.running || p.canceled;
  }

  const poll = async (): Promise<void> => {
    if (!section.isConnected) return;
    try {
      const { progress } = await api<{ progress?: Progress }>('GET', `/messages/${enc(id)}`);
      if (!section.isConnected || !progress) return;
      show(progress);
      if (!progress.running) return finished();
    } catch {
      // A missed read: the next one tries again.
    }
    setTimeout(() => void poll(), POLL_MS);
  };
  show(initial);
  if (initial.running) setTimeout(() => void poll(), POLL_MS);
  return section;
}
