import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationFailedError } from '@app/platform';
import { badTextFields } from './text-input';

/** Each field's messages once: an unreadable time breaks its type and range rules with one message. */
function flatten(errors: ValidationError[]): FieldError[] {
  const seen = new Set<string>();
  return flattenAll(errors).filter((e) => {
    const key = `${e.field}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function flattenAll(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property (\S+) should not exist$/, 'unknown field'),
    }));
    return [...own, ...flattenAll(e.children ?? [], field)];
  });
}

/**
 * Whitelists DTO fields, rejects unknown ones, and transforms to DTO classes.
 * Before any of that, every string of the body, query and path parameters
 * (a DTO's or not: a strategy definition is free-form JSON) must be storable
 * text, so no field needs its own rule against NUL or lone surrogates.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const bad = badTextFields(value, metadata.data ?? '');
      if (bad.length > 0) throw new ValidationFailedError(bad);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}
