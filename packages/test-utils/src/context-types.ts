// Types of the values the global setup provides to test files.
declare module 'vitest' {
  export interface ProvidedContext {
    standalonePort: number;
    clusterPorts: number[];
    quorumPorts: number[];
  }
}

export {};
