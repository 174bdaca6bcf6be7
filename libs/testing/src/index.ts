export * from './test-env';
export * from './processes';
export * from './config-problems';
export * from './fixtures';
