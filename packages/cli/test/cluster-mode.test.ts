// `--cluster` has to match the server: a standalone server given `--cluster`, or a Cluster node
// given without it, is a bad option (exit 2) saying which and what to pass, not an ioredis error.
import { standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, inject, it } from 'vitest';
import { EXIT_CODES } from '../src/index.js';
import { runCli } from './run-cli.js';

describe('--cluster against a standalone server', () => {
  it('exits 2 saying the server is not a Redis Cluster and to drop --cluster', async () => {
    const url = `redis://127.0.0.1:${standalonePort()}`;
    for (const args of [['ls'], ['inspect', 'x'], ['watch', 'x'], ['release', 'x', '--force', '--yes']]) {
      const run = await runCli(['--cluster', '--redis', url, ...args]);
      expect(run.code, args[0]).toBe(EXIT_CODES.usage);
      expect(run.stdout, args[0]).toBe('');
      expect(run.stderr, args[0]).toBe(
        `lockstep: --cluster: the server at 127.0.0.1:${standalonePort()} is not a Redis Cluster (its cluster support is disabled): drop --cluster\n`,
      );
    }
  });

  it('a Cluster node nobody answers on is still unreachable (exit 3)', async () => {
    const run = await runCli(['--cluster', '--redis', 'redis://127.0.0.1:1', 'ls']);
    expect(run.code).toBe(EXIT_CODES.unreachable);
    expect(run.stderr).toMatch(/^lockstep: Redis at 127\.0\.0\.1:1 is unreachable/);
  });
});

describe('a Cluster node without --cluster', () => {
  it('exits 2 saying the server is a Cluster node and to pass --cluster, from any node, for every command', async () => {
    const ports = inject('clusterPorts');
    // Primaries and replicas alike: `ls` on one node alone would list a third of the names.
    for (const port of ports) {
      const run = await runCli(['--redis', `redis://127.0.0.1:${port}`, 'ls', '--json']);
      expect(run.code, String(port)).toBe(EXIT_CODES.usage);
      expect(run.stdout, String(port)).toBe('');
      expect(run.stderr, String(port)).toBe(
        `lockstep: --redis: the server at 127.0.0.1:${port} is a Redis Cluster node: pass --cluster\n`,
      );
    }
    for (const args of [
      ['inspect', 'x'],
      ['watch', 'x'],
      ['release', 'x', '--force', '--yes'],
    ]) {
      const run = await runCli(['--redis', `redis://127.0.0.1:${ports[0]}`, ...args]);
      expect(run.code, args[0]).toBe(EXIT_CODES.usage);
      expect(run.stderr, args[0]).toContain('is a Redis Cluster node: pass --cluster');
      expect(run.stderr, args[0]).not.toContain('MOVED');
    }
  });
});
