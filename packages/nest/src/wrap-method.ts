// Makes a wrapper indistinguishable from the method it wraps, for every decorator and explorer.
import 'reflect-metadata';

/**
 * Copies everything other decorators stored on `original` onto `wrapper`: every Reflect metadata key
 * (routes, `@Cron`, `@OnEvent`, `@MessagePattern`, Swagger), own properties, `name` and `length`.
 * Decorators applied after the wrap write onto the wrapper directly, so both orders keep them.
 */
export function copyMethodIdentity(original: object, wrapper: object): void {
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapper);
  }
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const property = Object.getOwnPropertyDescriptor(original, key);
    if (property) Object.defineProperty(wrapper, key, { ...property, configurable: true });
  }
}
