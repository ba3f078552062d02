/**
 * Domain errors. Domain code throws these; src/http/error-handler.ts is the one place that
 * turns them into HTTP statuses and the stable error body. Nothing here knows about HTTP.
 */
export type FieldProblem = { path: string; message: string };

/** Every kind of domain error. http/error-handler.ts maps each to a status in a table the compiler checks is complete. */
export type ErrorKind = 'validation' | 'not_found' | 'conflict' | 'unauthenticated' | 'forbidden' | 'unavailable' | 'rate_limited' | 'too_many_headers' | 'unprocessable';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
}

/** Input that breaks the rules: names every offending field. */
export class ValidationError extends DomainError {
  readonly kind = 'validation';
  constructor(
    readonly problems: FieldProblem[],
    message = problems.length === 1 ? `${problems[0]!.path}: ${problems[0]!.message}` : `${problems.length} fields are invalid`,
  ) {
    super(message);
  }
}

/** Well-formed, but at odds with what the service already holds (an Idempotency-Key used with another body). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
}

/** The thing does not exist in the caller's workspace (or does, in another one: never say so). */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

/** A JSON Patch `test` operation failed, or a write lost a race it can't retry. */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}

export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated';
}

export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
  constructor(
    readonly missingScope: string,
    message = `This API key lacks the scope ${missingScope}`,
  ) {
    super(message);
  }
}

/** Something the request needs is not set up on this instance (a message names what to set). */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
}

/** Too many requests (or failed authentications); `retryAfterSeconds` becomes Retry-After when known. */
export class RateLimitedError extends DomainError {
  readonly kind = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** More request headers than the service reads: refused whole, so none is dropped unseen. */
export class TooManyHeadersError extends DomainError {
  readonly kind = 'too_many_headers';
}
