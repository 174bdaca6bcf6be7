import { ParseUUIDPipe } from '@nestjs/common';
import { ValidationFailedError } from '@app/platform';

/** ParseUUIDPipe answering the API's own 400 VALIDATION_FAILED. */
export function uuidPipe(field = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => new ValidationFailedError([{ field, message: 'must be a UUID' }]),
  });
}
