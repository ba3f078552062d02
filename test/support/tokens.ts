/** An APNs device token (64 hex characters) numbered `n`: distinct per n, stable across runs. */
export const apnsToken = (n: number): string => n.toString(16).padStart(64, '0');
