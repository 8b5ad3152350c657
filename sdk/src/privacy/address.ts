import { type StealthAddress, packPoint, unpackPoint } from '@tessera/core';
import { isValidGroupElement } from '@tessera/core/privacy/validate';
import { keccak256 } from 'viem';
import { InvalidStealthAddressError } from './errors.ts';

/*
 * Text form of a stealth address (V, S), what a payee hands to payers:
 *
 *   "tsa1" ‖ hex(pack(V) ‖ pack(S)) ‖ hex(checksum)          140 characters
 *   checksum = keccak256(utf8("tessera/stealth-address/v1") ‖ pack(V) ‖ pack(S))[0..4]
 *
 * pack() is the shared 32-byte point packing (y little-endian, sign of x in bit 255). The
 * checksum catches typos and truncation; decoding is strict (canonical packing, valid subgroup
 * points, lowercase hex accepted in either case).
 */
export const STEALTH_ADDRESS_PREFIX = 'tsa1';
const DOMAIN = new TextEncoder().encode('tessera/stealth-address/v1');
const LENGTH = STEALTH_ADDRESS_PREFIX.length + 128 + 8;

function checksum(body: Uint8Array): string {
  const data = new Uint8Array(DOMAIN.length + body.length);
  data.set(DOMAIN);
  data.set(body, DOMAIN.length);
  return keccak256(data).slice(2, 10);
}

export function encodeStealthAddress(address: StealthAddress): string {
  if (!isValidGroupElement(address.view) || !isValidGroupElement(address.spend))
    throw new InvalidStealthAddressError('stealth address keys must be valid subgroup points');
  const body = new Uint8Array(64);
  body.set(packPoint(address.view));
  body.set(packPoint(address.spend), 32);
  return `${STEALTH_ADDRESS_PREFIX}${Buffer.from(body).toString('hex')}${checksum(body)}`;
}

export function decodeStealthAddress(text: string): StealthAddress {
  if (typeof text !== 'string') throw new InvalidStealthAddressError('a stealth address is a string');
  const s = text.trim().toLowerCase();
  if (!s.startsWith(STEALTH_ADDRESS_PREFIX))
    throw new InvalidStealthAddressError(`a stealth address starts with "${STEALTH_ADDRESS_PREFIX}"`);
  if (s.length !== LENGTH || !/^[0-9a-f]+$/.test(s.slice(STEALTH_ADDRESS_PREFIX.length)))
    throw new InvalidStealthAddressError(
      `a stealth address is "${STEALTH_ADDRESS_PREFIX}" and ${LENGTH - STEALTH_ADDRESS_PREFIX.length} hex digits`,
    );
  const body = new Uint8Array(Buffer.from(s.slice(4, 132), 'hex'));
  if (checksum(body) !== s.slice(132))
    throw new InvalidStealthAddressError('stealth address checksum mismatch (mistyped or truncated?)');
  const view = unpackPoint(body.subarray(0, 32));
  const spend = unpackPoint(body.subarray(32));
  if (!view || !spend || !isValidGroupElement(view) || !isValidGroupElement(spend))
    throw new InvalidStealthAddressError('stealth address keys are not valid subgroup points');
  const again = new Uint8Array(64);
  again.set(packPoint(view));
  again.set(packPoint(spend), 32);
  if (again.some((b, i) => b !== body[i]))
    throw new InvalidStealthAddressError('stealth address keys are not canonically encoded');
  return { view, spend };
}

/** Accepts either form. */
export function toStealthAddress(address: string | StealthAddress): StealthAddress {
  if (typeof address === 'string') return decodeStealthAddress(address);
  if (!isValidGroupElement(address?.view) || !isValidGroupElement(address?.spend))
    throw new InvalidStealthAddressError('stealth address keys must be valid subgroup points');
  return address;
}
