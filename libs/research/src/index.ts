export * from './domain/errors';
export * from './domain/normal';
export * from './domain/random';
export * from './domain/deflated-sharpe';
export * from './domain/pbo';
export * from './domain/space';
export * from './domain/search';
export * from './domain/walk-forward';
