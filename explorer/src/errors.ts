/**
 * Explorer errors carry a stable `code` and the HTTP status the web layer answers with, so a
 * page and its JSON twin always agree on what went wrong.
 */
export type ExplorerErrorCode =
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'INVALID_CURSOR'
  | 'PAGE_OUT_OF_RANGE'
  | 'MALFORMED_SEARCH'
  | 'RPC_UNAVAILABLE'
  | 'RPC_ERROR'
  | 'BLOCK_REJECTED'
  | 'L1_ERROR';

export class ExplorerError extends Error {
  override readonly name: string = 'ExplorerError';
  constructor(
    readonly code: ExplorerErrorCode,
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

export class NotFoundError extends ExplorerError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super('NOT_FOUND', message, 404);
  }
}

export class BadRequestError extends ExplorerError {
  override readonly name = 'BadRequestError';
  constructor(message: string, code: ExplorerErrorCode = 'BAD_REQUEST') {
    super(code, message, 400);
  }
}

export class PageOutOfRangeError extends ExplorerError {
  override readonly name = 'PageOutOfRangeError';
  constructor(message = 'This page is past the end of the list.') {
    super('PAGE_OUT_OF_RANGE', message, 404);
  }
}

/** Every configured sequencer endpoint failed (down, timed out or answered garbage). */
export class RpcUnavailableError extends ExplorerError {
  override readonly name = 'RpcUnavailableError';
  constructor(message: string) {
    super('RPC_UNAVAILABLE', message, 503);
  }
}

/** The node answered with a JSON-RPC error object. */
export class RpcCallError extends ExplorerError {
  override readonly name = 'RpcCallError';
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super('RPC_ERROR', `JSON-RPC error ${rpcCode}: ${message}`, 502);
  }
}

/** A block from a node that does not fit the chain indexed so far (bad hash, wrong parent). */
export class BlockRejectedError extends ExplorerError {
  override readonly name = 'BlockRejectedError';
  constructor(message: string) {
    super('BLOCK_REJECTED', message, 502);
  }
}
