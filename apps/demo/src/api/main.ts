// One API replica (an OS process): the Nest app, with GET /reports/:id and the dashboard mounted in
// it. Usage: node --import tsx api/main.ts '{"name":"api-1","port":3001,"redisUrl":"redis://…"}'.
import 'reflect-metadata';
import { Lockstep } from '@lockstep/core';
import { lockstepDashboard } from '@lockstep/dashboard';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { configArg, onStop } from '../lifeline.js';
import { bullConnection, JOBS } from '../settings.js';
import { replicaModule } from './app.module.js';
import type { ReplicaConfig } from './context.js';
import { FencedStore } from './fenced-store.js';
import { reportHandler, reportsLimit } from './reports.route.js';

const config = configArg<ReplicaConfig>();
const redis = new Redis(config.redisUrl);
const exports = new Queue(JOBS.queue, { connection: bullConnection(config.redisUrl), prefix: JOBS.prefix });
const context = { name: config.name, store: new FencedStore(redis), exports };

const app = await NestFactory.create(replicaModule(config.redisUrl, context), { logger: ['error', 'warn'] });
const lockstep = app.get(Lockstep);
app.use('/reports', reportsLimit(lockstep), reportHandler(config.name));
app.use('/admin/locks', lockstepDashboard({ lockstep, intervalMs: 1_000 }));
await app.listen(config.port, '127.0.0.1');

onStop(async () => {
  await app.close();
  await exports.close();
  await redis.quit();
});
process.stdout.write('READY\n');
