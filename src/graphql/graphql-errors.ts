import { IntrinsicException, Logger } from '@nestjs/common';
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

const logger = new Logger('WhatsAppClicks');
/** Longest part of a refusal's message that reaches the log: it may quote the caller's input. */
const LOGGED_CHARACTERS = 200;

/** A refusal for the caller; logged once, at debug, without a stack, cut to 200 characters. */
export function clickError(code: ClickErrorCode, message: string): ClickApiError {
  const shown =
    message.length > LOGGED_CHARACTERS ? `${message.slice(0, LOGGED_CHARACTERS)}…` : message;
  logger.debug(`refused a GraphQL request, ${code}: ${shown}`);
  return new ClickApiError(code, message);
}
