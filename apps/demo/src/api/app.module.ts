// The Nest application of one replica: Lockstep, the scheduler, and the invoice and export APIs.

import { LockstepModule } from '@lockstep/nest';
import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PREFIX } from '../settings.js';
import { REPLICA, type ReplicaContext } from './context.js';
import { ExportsController } from './exports.controller.js';
import { ExportsService } from './exports.service.js';
import { InvoicesController } from './invoices.controller.js';
import { InvoicesService } from './invoices.service.js';
import { RollupService } from './rollup.service.js';

/** The Nest module of a replica (its parts come from {@link replicaModule}). */
@Module({})
export class AppModule {}

/** The module for one replica, on the demo's Redis. */
export function replicaModule(redisUrl: string, context: ReplicaContext): DynamicModule {
  return {
    module: AppModule,
    imports: [LockstepModule.forRoot({ redis: redisUrl, prefix: PREFIX }), ScheduleModule.forRoot()],
    controllers: [InvoicesController, ExportsController],
    providers: [{ provide: REPLICA, useValue: context }, InvoicesService, ExportsService, RollupService],
  };
}
