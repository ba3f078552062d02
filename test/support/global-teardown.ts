const globals = globalThis as typeof globalThis & { __stopTestMongo?: () => Promise<void> };

export default async function globalTeardown(): Promise<void> {
  await globals.__stopTestMongo?.();
}
