/**
 * Time: block numbers ↔ dates. A future (or past) block's date is estimated from a known block,
 * its timestamp (pallet-timestamp, ms) and the 6-second block time; shown with the block number.
 */

/** The target block time (runtime: 6 s). */
export const BLOCK_MS = 6_000;

/** A reference point: a block and its timestamp (Unix ms). */
export interface Clock {
  block: number;
  timestamp: number;
}

/** The estimated Unix ms of `block`, given a reference block and its time. */
export function blockTime(clock: Clock, block: number, blockMs = BLOCK_MS): number {
  return clock.timestamp + (block - clock.block) * blockMs;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A date for people, e.g. "30 Nov 2026, 14:05". */
export function formatDate(ms: number): string {
  return dateFormat.format(new Date(ms));
}

/** "block 1,234 (≈ 30 Nov 2026, 14:05)" — "≈" when the block is in the future. */
export function blockDate(clock: Clock | null, block: number): string {
  const n = `block ${block.toLocaleString('en')}`;
  if (!clock) return n;
  const approx = block > clock.block ? '≈ ' : '';
  return `${n} (${approx}${formatDate(blockTime(clock, block))})`;
}

/** A duration in blocks, in words: "600 blocks ≈ 1 hour". */
export function blocksDuration(blocks: number): string {
  const s = (blocks * BLOCK_MS) / 1000;
  let words: string;
  if (s < 90) words = `${Math.round(s)} seconds`;
  else if (s < 5400) words = `${Math.round(s / 60)} minutes`;
  else if (s < 36 * 3600) words = `${Math.round(s / 3600)} hours`;
  else words = `${Math.round(s / 86400)} days`;
  return `${blocks.toLocaleString('en')} blocks ≈ ${words}`;
}

/** Blocks in a number of days. */
export const daysToBlocks = (days: number): number => Math.round((days * 86_400_000) / BLOCK_MS);
