// Binds the application's providers and controllers to its backend at init, closes it at shutdown.
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { LOCKSTEP_HANDLE } from './lockstep.constants.js';
import type { LockstepHandle } from './lockstep-handle.js';
import { claimInstance } from './registry.js';

/** @internal */
@Injectable()
export class LockstepLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(LOCKSTEP_HANDLE) private readonly handle: LockstepHandle,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
  ) {}

  onModuleInit(): void {
    this.handle.open();
    // Several applications in one process (tests, hybrid apps) each keep their own backend.
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (typeof instance === 'object' && instance !== null) claimInstance(instance, this.handle.entry);
    }
  }

  // Before the HTTP server and the schedulers stop: let running calls release their leases.
  async beforeApplicationShutdown(): Promise<void> {
    await this.handle.drain(this.handle.shutdownTimeoutMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
