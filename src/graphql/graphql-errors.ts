import { IntrinsicException } from '@nestjs/common';
import type { ClickErrorCode } from '../models/click-error-code.js';

/**
 * A refusal the API means to give (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, ...), not a
 * crash: as an IntrinsicException, Nest does not log it with its stack in the host's logs, and
 * GraphQL carries its `extensions.code` into the error the caller sees.
 */
export class ClickApiError extends IntrinsicException {
  override readonly name = 'ClickApiError';
  readonly extensions: { code: ClickErrorCode };

  constructor(code: ClickErrorCode, message: string) {
    super(message);
    this.extensions = { code };
  }
}

export function clickError(code: ClickErrorCode, message: string): ClickApiError {
  return new ClickApiError(code, message);
}
