/**
 * Loaded into a server under test with `node --require bench/lib/count-commands.cjs`: turns on
 * the MongoDB driver's command monitoring for every client the process makes (mongoose's
 * included) and counts the commands it sends, by collection and command. On SIGUSR2 it prints
 * one line, `bench-commands {"tokens.findAndModify": 200, …}`, and starts counting again, so
 * the benchmark reads what each side did for the same requests (bench/db-operations.ts).
 * With --expose-gc, SIGUSR2 also runs a full collection and prints `bench-memory {…}`: what
 * is live, not what the heap happens to hold (bench/apps-benchmark.ts).
 * Bench tooling only: never part of the service.
 */
'use strict';
const { MongoClient } = require('mongodb');

const counts = new Map();
const connect = MongoClient.prototype.connect;
const watched = new WeakSet();
MongoClient.prototype.connect = function (...args) {
  if (!watched.has(this)) {
    watched.add(this);
    this.monitorCommands = true;
    this.on('commandStarted', (event) => {
      const name = event.commandName;
      // Handshakes and heartbeats are the driver's own, not the request's.
      if (['hello', 'ismaster', 'isMaster', 'ping', 'saslStart', 'saslContinue', 'endSessions', 'buildInfo'].includes(name)) return;
      const collection = typeof event.command[name] === 'string' ? event.command[name] : '(db)';
      const key = `${collection}.${name}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
  }
  return connect.apply(this, args);
};

function report() {
  process.stdout.write(`bench-commands ${JSON.stringify(Object.fromEntries([...counts].sort()))}\n`);
  counts.clear();
}

// With --expose-gc, a full collection first, so the memory line that follows is what is live.
process.on('SIGUSR2', () => {
  report();
  if (typeof global.gc === 'function') {
    global.gc();
    const { heapUsed, rss } = process.memoryUsage();
    process.stdout.write(`bench-memory ${JSON.stringify({ heap_used_mib: heapUsed / 2 ** 20, rss_mib: rss / 2 ** 20 })}\n`);
  }
});
// A process that ends by itself (an import) reports once at the end.
process.on('exit', report);
