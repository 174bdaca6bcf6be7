import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/**
 * DataSource for the TypeORM CLI (`npm run migration:generate -- migrations/<name>`),
 * loaded from dist/. Needs DATABASE_URL pointing at a database migrated to head.
 */
const config = loadConfig();
if (!config.env.DATABASE_URL) throw new Error('DATABASE_URL must be set to generate migrations');
const root = path.resolve(__dirname, '../../../..');

export default new DataSource(
  dataSourceOptions(config, config.env.DATABASE_URL, [path.join(root, 'libs/*/src/**/*.entity.js')]),
);
