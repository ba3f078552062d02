import type { KeyInfo } from './api';

/** What every view is handed: the signed-in key, a scope check, and navigation. Its own module, so views and main.ts don't import each other. */
export type Context = { key: KeyInfo; can: (scope: string) => boolean; go: (hash: string) => void };
