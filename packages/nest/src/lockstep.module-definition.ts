// The forRoot/forRootAsync plumbing, built the way @nestjs/throttler and @nestjs/schedule are.
import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LockstepModuleOptions } from './lockstep.options.js';

/** @internal */
export const {
  ConfigurableModuleClass: LockstepConfigurableModule,
  MODULE_OPTIONS_TOKEN: LOCKSTEP_MODULE_OPTIONS,
  OPTIONS_TYPE: LOCKSTEP_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LOCKSTEP_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LockstepModuleOptions>({ moduleName: 'Lockstep' })
  .setClassMethodName('forRoot')
  // `isGlobal: undefined` (a config value passed through) replaces the default in Nest's extras: it
  // means the default, global, as an absent option does.
  .setExtras<{ isGlobal: boolean | undefined }>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
  }))
  .build();
