import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { describeQueueBackend } from '../support/queue-scenarios';

describeQueueBackend('redis', () => ({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: uniquePrefix('queue') }));
