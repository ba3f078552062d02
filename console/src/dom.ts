/**
 * A few lines instead of a UI library: elements are built with `h` and text is always set as
 * text (never HTML), so nothing a token or reason contains can become markup, and the page
 * runs under the service's Content-Security-Policy with no inline script or style.
 */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Dates as people read them, in their own time zone; ISO in the title for exactness. */
export function when(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  const date = new Date(iso);
  return h('time', { datetime: iso, title: iso }, date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
}

/** `abcd1234…ef9876`: enough to recognise a token, short enough for a table. */
/**
 * A token as a person can tell it apart. A Web Push token is its subscription's endpoint, whose
 * host says which push service (and browser) it is: it shows as that host and its last characters.
 */
export function shorten(token: string): string {
  if (token.startsWith('https://')) {
    try {
      return `${new URL(token).host} …${token.slice(-6)}`;
    } catch {
      // Not a URL after all: shortened as any token.
    }
  }
  return token.length <= 20 ? token : `${token.slice(0, 10)}…${token.slice(-6)}`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status}` }, status);
}

/** A designed state, never a blank area: loading, empty, or an error with what to do. */
export function notice(kind: 'loading' | 'empty' | 'error', text: string): HTMLElement {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** A labelled search box whose submit hands the trimmed value to `go`; used by the user page and the token lookup. */
export function searchForm(options: { id: string; label: string; button: string; value: string | undefined; go: (value: string) => void }): { form: HTMLFormElement; input: HTMLInputElement } {
  const input = h('input', { id: options.id, type: 'search', value: options.value ?? '', required: true, autocomplete: 'off', spellcheck: 'false' });
  const submit = (event: Event) => {
    event.preventDefault();
    if (input.value.trim()) options.go(input.value.trim());
  };
  const form = h('form', { class: 'search', role: 'search', onsubmit: submit }, h('label', { for: options.id }, options.label), input, h('button', { type: 'submit' }, options.button));
  return { form, input };
}

/** Moves focus to an element that is not focusable by itself (a status line), so it is read out. */
export function focusOn(element: HTMLElement): void {
  element.setAttribute('tabindex', '-1');
  element.focus();
}

type Problem = { path: string; message: string };

/**
 * Shows an API error on a form: each problem the 400 names is written under its field and
 * linked to it (aria-describedby, aria-invalid), the rest go in the form's message, and focus
 * moves to the first field in error. `fieldFor` maps an API path to a field's input id.
 */
export function showFormErrors(form: HTMLFormElement, message: HTMLElement, error: Error & { body?: unknown }, fieldFor: (path: string) => string | undefined): void {
  for (const old of Array.from(form.querySelectorAll('.field-error'))) old.remove();
  for (const input of Array.from(form.querySelectorAll('[aria-invalid]'))) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
  const problems = ((error.body as { errors?: Problem[] } | undefined)?.errors ?? []).filter((p) => typeof p.path === 'string');
  const unplaced: string[] = [];
  let first: HTMLElement | undefined;
  for (const problem of problems) {
    const id = fieldFor(problem.path);
    const input = id ? form.querySelector<HTMLElement>(`#${CSS.escape(id)}`) : null;
    if (!input) {
      unplaced.push(`${problem.path}: ${problem.message}`);
      continue;
    }
    const note = h('p', { id: `${id}-error`, class: 'field-error' }, problem.message);
    input.insertAdjacentElement('afterend', note);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', `${id}-error`);
    first ??= input;
  }
  message.textContent = problems.length === 0 ? error.message : unplaced.length > 0 ? unplaced.join('; ') : 'Check the fields marked above.';
  if (first) first.focus();
  else focusOn(message);
}
