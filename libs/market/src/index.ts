export * from './market.module';
export * from './market.errors';
export * from './symbols';
export * from './store/instrument.repository';
export * from './store/market-store';
export * from './store/market-ingest.service';
export * from './cache/market-cache';
