import { describeQueueBackend } from '../support/queue-scenarios';

// No REDIS_URL: BullMQ runs on its PostgreSQL backend in the test database.
describeQueueBackend('postgres', () => ({ REDIS_URL: undefined }));
